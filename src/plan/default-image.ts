/**
 * The debug image when neither --image nor DISTROLESS_DEBUG_IMAGE names one.
 * A module of its own so that `--help` can print it without loading the
 * container builder (and node:crypto with it).
 */
export const DEFAULT_IMAGE = 'docker.io/library/busybox:1.37.0';
