import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Data } from '../../../infra/constructs/data.js';
import { Events, PUBLISHER_TIMEOUT_SECONDS } from '../../../infra/constructs/events.js';
import { STREAM_SETTINGS } from '../../../infra/stream-settings.js';
import { FIXTURE_ENTRY, BUILD_TIMEOUT_MS } from '../helpers.js';
import { bareStack } from './support.js';

type Resource = { Properties: Record<string, any>; DependsOn?: string[] };

const build = () => {
  const stack = bareStack();
  const { table } = new Data(stack, 'Data');
  const events = new Events(stack, 'Events', { table, entry: FIXTURE_ENTRY });
  return { stack, events, t: Template.fromStack(stack) };
};

describe('Events', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('reads the table stream (NEW_IMAGE) into the publisher, only inserts of history heads, in order, with item failures and a dead-letter queue', () => {
    const { t } = build();
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
    const [mapping] = Object.values(t.findResources('AWS::Lambda::EventSourceMapping')) as Resource[];
    expect(mapping!.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: STREAM_SETTINGS.batchSize,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: STREAM_SETTINGS.retryAttempts,
      MaximumRecordAgeInSeconds: 86_400,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/ChangeEventsDeadLetters/), 'Arn'] } } },
    });
    expect(mapping!.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataTable/), 'StreamArn'] });
    const patterns = (mapping!.Properties.FilterCriteria.Filters as { Pattern: string }[]).map((f) => JSON.parse(f.Pattern));
    expect(patterns).toEqual([{ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'H#' }] } } } }]);
    // Created after the role's policy that lets it read the stream.
    expect(mapping!.DependsOn?.some((id) => /PublishChangesFunctionRoleDefaultPolicy/.test(id))).toBe(true);
  });

  it('makes a bus the publisher may put on, and tells the publisher the bus and the table', () => {
    const { stack, t, events } = build();
    const [busId, ...otherBuses] = Object.keys(t.findResources('AWS::Events::EventBus'));
    expect(otherBuses).toEqual([]);
    const [tableId] = Object.keys(t.findResources('AWS::DynamoDB::GlobalTable'));
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f).includes('EVENT_BUS_NAME')) as Resource;
    expect(fn.Properties.Timeout).toBe(PUBLISHER_TIMEOUT_SECONDS);
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(['EVENT_BUS_NAME', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'TABLE_NAME']);
    // The bus it puts on is the one this construct made; the table it reads parts from, the one it was given.
    expect(fn.Properties.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
    expect(fn.Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: tableId });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => (p as Resource).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Sid?: string }[]);
    const actions = statements.flatMap((s) => [s.Action].flat());
    // PutEvents on that bus only.
    expect(statements.filter((s) => [s.Action].flat().includes('events:PutEvents')).map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [busId, 'Arn'] }]);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'dynamodb:Query']));
    // No write to the table, and Resource "*" only for ListStreams.
    expect(actions.filter((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    for (const s of statements.filter((s) => s.Resource === '*')) expect(s.Action).toBe('dynamodb:ListStreams');
    // The construct's `bus` (the stack's ChangeEventBusName output) is that bus.
    expect(stack.resolve(events.bus.eventBusName)).toEqual({ Ref: busId });
  });

  it('keeps dead letters 14 days, encrypted, SSL only', () => {
    const { t } = build();
    t.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } });
  });
});
