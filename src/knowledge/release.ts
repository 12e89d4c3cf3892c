// Kernel releases for the knowledge base: the one implementation lives in the
// vocabulary layer (src/vocab/release.ts), below knowledge, context and rules.
export { NEWEST_RELEASE, RELEASE_RE, compareRelease, holdsFor, parseRelease, releaseName, type Holds, type Release } from "../vocab/release.js";
