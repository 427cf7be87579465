// One DynamoDB Local (in memory) for the whole run; each test file makes its own tables.
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb-local.js';

let engine: DynamoDbLocal | undefined;

export async function setup(project: TestProject) {
  engine = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', engine.endpoint);
}

export async function teardown() {
  await engine?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
