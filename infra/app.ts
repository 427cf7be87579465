// CDK app: `npx cdk synth` / `npx cdk deploy` (see cdk.json and docs/operations.md, "Deploy to AWS").
// Synthesizes offline: the environment comes from CDK_DEFAULT_* when the CLI
// knows them, otherwise the stack stays environment-agnostic (no lookups).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AgentStatusReasonsStack, STACK_NAME } from './stack.js';

const app = new App();

// Construct id = stack name, so the template is cdk.out/AgentStatusReasons.template.json
// and `npx cdk deploy AgentStatusReasons` names it.
new AgentStatusReasonsStack(app, STACK_NAME, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag 3 is a policy-validation plugin: any unacknowledged AwsSolutions
// finding fails the synth (and therefore the deploy).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
