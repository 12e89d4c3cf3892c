// Patch mails as git send-email writes them, built from C snippets we wrote
// for these tests (modelled on how filesystems set up inode mappings).
import { diffFor } from "../../helpers/patch.js";

/**
 * A Date: an hour before the test runs: mails the bot answers must be newer
 * than its age limit (max-age, 14 days by default).
 */
export const RECENT_DATE = new Date(Date.now() - 3_600_000).toUTCString().replace("GMT", "+0000");

export interface MailSpec {
  messageId: string;
  subject: string;
  from?: string;
  to?: string[];
  cc?: string[];
  inReplyTo?: string;
  references?: string[];
  date?: string;
  extraHeaders?: string[];
  body: string;
}

export function rawMail(s: MailSpec): string {
  const h = [
    `From: ${s.from ?? "Ann Author <ann@example.org>"}`,
    `To: ${(s.to ?? ["linux-mm@kvack.org"]).join(", ")}`,
    ...(s.cc && s.cc.length ? [`Cc: ${s.cc.join(", ")}`] : []),
    `Subject: ${s.subject}`,
    `Date: ${s.date ?? RECENT_DATE}`,
    `Message-ID: ${s.messageId}`,
    ...(s.inReplyTo ? [`In-Reply-To: ${s.inReplyTo}`] : []),
    ...(s.references && s.references.length ? [`References: ${s.references.join(" ")}`] : []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    ...(s.extraHeaders ?? []),
  ];
  return h.join("\r\n") + "\r\n\r\n" + s.body.replace(/\r?\n/g, "\r\n");
}

const BEFORE = `// SPDX-License-Identifier: GPL-2.0
#include "frob.h"

static void frob_setup_inode(struct inode *inode)
{
	inode->i_op = &frob_inode_ops;
	inode->i_fop = &frob_file_ops;
}
`;

/** A C change that adds a NOFS mapping mask (rule mapping-gfp-mask) in function fn of file path. */
export function hazardDiff(path = "fs/frob/inode.c", variant = 0): string {
  const before = BEFORE.replace(/frob/g, `frob${variant}`);
  const after = before.replace(
    "\tinode->i_fop",
    `\tgfp_t gfp = mapping_gfp_mask(inode->i_mapping);\n\n\tmapping_set_gfp_mask(inode->i_mapping, gfp & ~__GFP_FS);\n\tinode->i_fop`,
  );
  return diffFor({ path, before, after });
}

/** A harmless C change (no finding). */
export function cleanDiff(path = "fs/frob/file.c", variant = 0): string {
  const before = BEFORE.replace(/frob/g, `frob${variant}`);
  const after = before.replace("\tinode->i_fop", `\tinode->i_flags |= S_NOATIME;\n\tinode->i_fop`);
  return diffFor({ path, before, after });
}

export function patchBody(diff: string, message = "Set up the inode mapping for the frob file system."): string {
  const author = "Ann Author <ann@example.org>";
  return `${message}\n\nSigned-off-by: ${author}\n---\n${diff}-- \n2.47.0\n`;
}

export function patchMail(opts: Partial<MailSpec> & { messageId: string; subject: string; diff?: string }): string {
  return rawMail({ ...opts, body: opts.body ?? patchBody(opts.diff ?? hazardDiff()) });
}
