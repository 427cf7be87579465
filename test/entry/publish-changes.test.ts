// The change-event publisher (functions/entry/publish-changes.ts): what it puts
// on EventBridge as the SDK sends it (EventBridge is not the data path: its
// requests are captured and answered).
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import { eventBridgeBus, type ChangeEvent } from '../../functions/entry/publish-changes.js';

describe('eventBridgeBus', () => {
  /** An EventBridge client whose requests are kept and answered with `answer` (PutEvents' JSON). */
  const capturingClient = (answer: unknown) => {
    const requests: HttpRequest[] = [];
    const client = new EventBridgeClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: {
        handle: async (request: HttpRequest) => {
          requests.push(request);
          return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(JSON.stringify(answer)) }) };
        },
      },
    });
    return { client, requests };
  };

  it('puts each event on the bus with source agent-status-reasons and detail-type "Status reasons changed", and answers each entry\'s error code at its index', async () => {
    const { client, requests } = capturingClient({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'e-1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }, { EventId: 'e-3' }],
    });
    const events: ChangeEvent[] = [1, 2, 3].map((revision) => ({ accountId: `acct-${revision}`, revision, detail: JSON.stringify({ revision, accountId: `acct-${revision}` }) }));
    const codes = await eventBridgeBus(client, 'change-bus-name').put(events);

    expect(codes).toEqual([undefined, 'ThrottlingException', undefined]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(JSON.parse(new TextDecoder().decode(requests[0]!.body as Uint8Array))).toEqual({
      Entries: events.map((event) => ({ EventBusName: 'change-bus-name', Source: 'agent-status-reasons', DetailType: 'Status reasons changed', Detail: event.detail })),
    });
  });
});
