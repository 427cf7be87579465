// The DEPLOY.md recipe for calling the deployed Connect-shaped route with
// @aws-sdk/client-connect: IAM authorization on an HTTP API checks SigV4
// signatures for the service `execute-api`, while the Connect client signs for
// `connect` unless told otherwise. This checks, against a local listener, that
// `signingName: 'execute-api'` changes the credential scope and nothing else.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectClient, CreateAgentStatusCommand, type ConnectClientConfig } from '@aws-sdk/client-connect';

type Seen = { method?: string; url?: string; headers: IncomingHttpHeaders; body: string };
const seen: Seen[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ AgentStatusId: 'as-1', AgentStatusARN: 'arn:aws:connect:eu-west-1:111122223333:instance/i/agent-state/as-1' }));
  });
});
let endpoint: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

describe('ConnectClient against the deployed API', () => {
  it("signs for 'connect' by default, which API Gateway's IAM authorizer would reject", async () => {
    const client = new ConnectClient({ region: 'eu-west-1', endpoint, credentials });
    await client.send(new CreateAgentStatusCommand({ InstanceId: 'instance-1', Name: 'Lunch', State: 'ENABLED' }));
    expect(seen.at(-1)!.headers.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/connect\/aws4_request/);
  });

  it("signs for 'execute-api' with signingName, on PUT /agent-status/{InstanceId}", async () => {
    // `signingName` is read by the SDK's SigV4 signer config but is not declared on
    // ConnectClientConfig, hence the widened type (the DEPLOY.md snippet does the same).
    const config: ConnectClientConfig & { signingName: string } = { region: 'eu-west-1', endpoint, credentials, signingName: 'execute-api' };
    const client = new ConnectClient(config);
    const out = await client.send(new CreateAgentStatusCommand({ InstanceId: 'instance-1', Name: 'Lunch', State: 'ENABLED' }));
    const request = seen.at(-1)!;
    expect(request.method).toBe('PUT');
    expect(request.url).toBe('/agent-status/instance-1');
    expect(JSON.parse(request.body)).toEqual({ Name: 'Lunch', State: 'ENABLED' });
    expect(request.headers.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request/);
    expect(out.AgentStatusId).toBe('as-1');
  });
});
