import { describe, expect, it } from "vitest";
import { contradicted } from "../../src/context/feasible.js";

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
