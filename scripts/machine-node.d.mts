// Types of machine-node.mjs, for the tests that run a script on the machine's own Node.
export function findMachineNode(env?: NodeJS.ProcessEnv): string | undefined;
export function smokeTargets(
  env?: NodeJS.ProcessEnv,
): Array<{ major: number; command: string | undefined; args: string[]; from: string }>;
