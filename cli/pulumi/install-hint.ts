/** How to install the pulumi CLI, in every message that finds it missing. */
export const INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`)";
