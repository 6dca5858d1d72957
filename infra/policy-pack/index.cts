// The policy pack CI runs with `pulumi preview --policy-pack infra/policy-pack` (PulumiPolicy.yaml
// points here, compiled). Constructing a PolicyPack starts a gRPC server, so nothing imports this
// module but Pulumi; tests call the policies in ./policies.cts directly.
import { PolicyPack } from "@pulumi/policy";
import { RESOURCE_POLICIES, STACK_POLICIES } from "./policies.cjs";

new PolicyPack("coding-engine", { policies: [...RESOURCE_POLICIES, ...STACK_POLICIES] });
