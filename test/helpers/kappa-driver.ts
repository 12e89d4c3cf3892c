// A made-up HBA driver, written for the tests of role chains that cannot run
// (test/context/chain-conds.test.ts, test/rules/gfp-kernel-in-io-path.test.ts):
// modelled on drivers whose host reset re-runs the chip set-up only for one
// adapter family, and whose set-up skips the dump buffer for that family.

export interface KappaParts {
  /** The dump buffer's allocation ("vmalloc(h->dump_len)"). */
  alloc: string;
  /** The host reset's lines before `return SUCCESS;` (the call of kappa_ctx_reset(), under some test). */
  root: string;
  /** Lines the context reset runs before the set-up. */
  helper?: string;
  /** Lines the set-up runs before its adapter-family test. */
  setup?: string;
  /** The host template that makes kappa_host_reset() an error handler. */
  registered?: boolean;
}

export function kappaDriver(p: KappaParts): string {
  return `static int kappa_alloc_dump(struct kappa_host *h)
{
	h->dump = ${p.alloc};
	return h->dump ? 0 : -ENOMEM;
}

static int kappa_setup(struct kappa_host *h)
{
	struct kappa_hw *hw = h->hw;
${p.setup ?? ""}
	if (KAPPA_IS_LEGACY(hw)) {
		kappa_legacy_load(h);
		return 0;
	}
	kappa_load_fw(h);
	return kappa_alloc_dump(h);
}

static int kappa_ctx_reset(struct kappa_host *host)
{
${p.helper ?? ""}
	return kappa_setup(host);
}

static int kappa_host_reset(struct scsi_cmnd *cmd)
{
	struct kappa_host *h = shost_priv(cmd->device->host);

${p.root}
	return SUCCESS;
}
${
  p.registered
    ? `
static const struct scsi_host_template kappa_sht = {
	.eh_host_reset_handler = kappa_host_reset,
};
`
    : ""
}`;
}
