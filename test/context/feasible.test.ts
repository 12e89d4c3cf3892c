import { describe, expect, it } from "vitest";
import { chainRuledOut, contradicted } from "../../src/context/feasible.js";

describe("contradicted: a callee's branch a call's constant arguments rule out", () => {
  const params = ["ioc", "reason", "sleepFlag"];
  it("a then-branch testing the parameter against another constant", () => {
    expect(contradicted(["(reason==MPT_HOSTEVENT_IOC_BRINGUP)"], params, ["ioc", "MPT_HOSTEVENT_IOC_RECOVER", "CAN_SLEEP"])).toBe("(reason==MPT_HOSTEVENT_IOC_BRINGUP)");
    expect(contradicted(["((ret==0)&&(reason==MPT_HOSTEVENT_IOC_BRINGUP))"], params, ["ioc", "MPT_HOSTEVENT_IOC_RECOVER", "CAN_SLEEP"])).not.toBeNull();
  });
  it("is quiet when the constant matches, the argument is not a constant, or the test is on something else", () => {
    expect(contradicted(["(reason==MPT_HOSTEVENT_IOC_BRINGUP)"], params, ["ioc", "MPT_HOSTEVENT_IOC_BRINGUP", "x"])).toBeNull();
    expect(contradicted(["(reason==MPT_HOSTEVENT_IOC_BRINGUP)"], params, ["ioc", "why", "x"])).toBeNull();
    expect(contradicted(["(ret==0)"], params, ["ioc", "MPT_HOSTEVENT_IOC_RECOVER", "x"])).toBeNull();
    expect(contradicted(["((ret==0)||(reason==MPT_HOSTEVENT_IOC_BRINGUP))"], params, ["ioc", "MPT_HOSTEVENT_IOC_RECOVER", "x"])).toBeNull();
  });
  it("the else-branch of the same test", () => {
    expect(contradicted(["!(reason==MPT_HOSTEVENT_IOC_BRINGUP)"], params, ["ioc", "MPT_HOSTEVENT_IOC_BRINGUP", "x"])).not.toBeNull();
    expect(contradicted(["!(reason==MPT_HOSTEVENT_IOC_BRINGUP)"], params, ["ioc", "MPT_HOSTEVENT_IOC_RECOVER", "x"])).toBeNull();
    // the else of a conjunction says nothing about either part
    expect(contradicted(["!((ret==0)&&(reason==MPT_HOSTEVENT_IOC_BRINGUP))"], params, ["ioc", "MPT_HOSTEVENT_IOC_BRINGUP", "x"])).toBeNull();
  });
  it("truth tests: `if (initial)` with 0, `if (buf && len)` with NULL, `if (!quiet)` with 1", () => {
    expect(contradicted(["(initial)"], ["instance", "initial"], ["instance", "0"])).toBe("(initial)");
    expect(contradicted(["(initial)"], ["instance", "initial"], ["instance", "1"])).toBeNull();
    expect(contradicted(["(buffer&&bufflen)"], ["q", "cmd", "buffer", "bufflen"], ["q", "&c", "NULL", "0"])).not.toBeNull();
    expect(contradicted(["(!quiet)"], ["dev", "quiet"], ["dev", "1"])).not.toBeNull();
    expect(contradicted(["(!quiet)"], ["dev", "quiet"], ["dev", "0"])).toBeNull();
  });
  it("numbers compare by value, != reads the other way", () => {
    expect(contradicted(["(mode!=0x0)"], ["mode"], ["0"])).not.toBeNull();
    expect(contradicted(["(mode==2)"], ["mode"], ["2"])).toBeNull();
  });
});

describe("chainRuledOut: constants carried down a chain of calls", () => {
  const link = (name: string, params: string[], text: string, calls: { callee: string; args: string[]; conds?: string[]; guards?: string[] }[]) => ({ name, params, text, calls });
  const root = (arg: string) => link("work_fn", ["work"], "static void work_fn(struct work_struct *work) { handle(dw->srv, " + arg + "); }", [{ callee: "handle", args: ["dw->srv", arg] }]);
  const handle = (text = "if (!offloaded) reconnect(srv);") => link("handle", ["srv", "offloaded"], text, [{ callee: "reconnect", args: ["srv"], conds: ["(!offloaded)"] }]);
  const last = link("reconnect", ["srv"], "", []);
  it("a constant the next link's only call to the one after needs false", () => {
    expect(chainRuledOut([root("true"), handle(), last])).toEqual({ link: "handle", cond: "(!offloaded)" });
    expect(chainRuledOut([root("false"), handle(), last])).toBeNull();
  });
  it("carried through a parameter passed on as it is", () => {
    const mid = link("mid", ["s", "off"], "handle(s, off);", [{ callee: "handle", args: ["s", "off"] }]);
    const top = link("work_fn", ["work"], "mid(x, 1);", [{ callee: "mid", args: ["x", "1"] }]);
    expect(chainRuledOut([top, mid, handle(), last])).not.toBeNull();
  });
  it("not through a parameter the link assigns, nor one it has no text for", () => {
    expect(chainRuledOut([root("true"), handle("offloaded = srv->async; if (!offloaded) reconnect(srv);"), last])).toBeNull();
    expect(chainRuledOut([root("true"), handle(""), last])).toBeNull();
  });
  it("a second call of the next link outside the test keeps the path", () => {
    const both = link("handle", ["srv", "offloaded"], "if (!offloaded) reconnect(srv); if (srv->stale) reconnect(srv);", [
      { callee: "reconnect", args: ["srv"], conds: ["(!offloaded)"] },
      { callee: "reconnect", args: ["srv"], conds: ["(srv->stale)"] },
    ]);
    expect(chainRuledOut([root("true"), both, last])).toBeNull();
  });
});
