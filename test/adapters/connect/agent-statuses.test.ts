// Every agent-status operation through the official AWS SDK Connect client,
// unchanged, against the local gateway (SigV4 check) running the function's
// handler over a real DynamoDB engine; and the same data through the
// LivePerson API after each Connect write, and the other way round.
import {
  ConnectClient,
  CreateAgentStatusCommand,
  DescribeAgentStatusCommand,
  DuplicateResourceException,
  InvalidParameterException,
  ListAgentStatusesCommand,
  ListTagsForResourceCommand,
  paginateListAgentStatuses,
  paginateSearchAgentStatuses,
  ResourceNotFoundException,
  SearchAgentStatusesCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAgentStatusCommand,
  type AgentStatusSearchCriteria,
  type AgentStatusSearchFilter,
  type CreateAgentStatusCommandInput,
} from '@aws-sdk/client-connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE } from '../../support/events.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { startLocalHttp, type LocalHttp } from '../../support/local-http.js';
import { connectClient, failure } from './helpers.js';

let api: LocalHttp;
let client: ConnectClient;
/** What the store of `clockedApi` takes as the time (ms): a test sets it before each write. */
let clock = 0;
let clockedApi: LocalHttp;
let clockedClient: ConnectClient;
beforeAll(async () => {
  const table = await createTestTable();
  const store = table.store();
  api = await startLocalHttp(() => store);
  client = connectClient(api.server, { maxAttempts: 1 });
  const clocked = table.store({ now: () => clock });
  clockedApi = await startLocalHttp(() => clocked);
  clockedClient = connectClient(clockedApi.server, { maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  clockedClient?.destroy();
  await api?.close();
  await clockedApi?.close();
});

const arnOf = (instance: string, id: string | number) => `arn:aws:connect:us-east-1:000000000000:instance/${instance}/agent-state/${id}`;
const create = (input: Partial<CreateAgentStatusCommandInput> & { InstanceId: string }) =>
  client.send(new CreateAgentStatusCommand({ Name: 'Lunch', State: 'ENABLED', ...input } as CreateAgentStatusCommandInput));
const describeStatus = (InstanceId: string, AgentStatusId: string) => client.send(new DescribeAgentStatusCommand({ InstanceId, AgentStatusId }));

/** The LivePerson view of an account: its revision and every reason. */
async function livePerson(account: string, query = '?include_deleted=true') {
  const res = await api.http(`${BASE(account)}${query}`, { token: await api.tokenFor(account) });
  expect(res.status).toBe(200);
  return { revision: Number(res.headers.get('ac-revision')), items: res.body as { id: number; text: string; order: number; [field: string]: unknown }[] };
}
const lpItem = async (account: string, id: string | number) => (await livePerson(account)).items.find((r) => r.id === Number(id))!;

/** A LivePerson write with a valid token. */
async function lpSend(account: string, method: string, suffix: string, body?: unknown) {
  const res = await api.http(`${BASE(account)}${suffix}`, { method, token: await api.tokenFor(account), body });
  expect(res.status).toBe(200);
  return res.body;
}

describe('DescribeAgentStatus', () => {
  it('answers every field, with LastModifiedTime as the SDK parses it and LastModifiedRegion', async () => {
    const account = newAccount();
    const before = Date.now();
    const { AgentStatusId } = await create({ InstanceId: account, Name: ' Lunch ', Description: 'Out to eat', State: 'DISABLED', DisplayOrder: 7, Tags: { team: 'a' } });
    const { AgentStatus } = await describeStatus(account, AgentStatusId!);
    expect(AgentStatus).toEqual({
      AgentStatusARN: arnOf(account, AgentStatusId!),
      AgentStatusId,
      Name: 'Lunch',
      Description: 'Out to eat',
      Type: 'CUSTOM',
      DisplayOrder: 7,
      State: 'DISABLED',
      Tags: { team: 'a' },
      LastModifiedTime: expect.any(Date),
      LastModifiedRegion: 'us-east-1',
    });
    expect(AgentStatus!.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(AgentStatus!.LastModifiedTime!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('shows a reason the LivePerson API created, with DisplayOrder only when its order is in 1–50', async () => {
    const account = newAccount();
    const [inRange, outOfRange] = await lpSend(account, 'POST', '', [
      { text: 'Ready', state: 'Online', order: 50 },
      { text: 'Far', state: 'Occupied', order: 51, enabled: false },
    ]);
    const shown = (await describeStatus(account, String(inRange.id))).AgentStatus!;
    expect(shown).toMatchObject({ Name: 'Ready', DisplayOrder: 50, State: 'ENABLED', Type: 'CUSTOM' });
    expect(shown).not.toHaveProperty('Description');
    expect(shown).not.toHaveProperty('Tags');
    const far = (await describeStatus(account, String(outOfRange.id))).AgentStatus!;
    expect(far).toMatchObject({ Name: 'Far', State: 'DISABLED' });
    expect(far).not.toHaveProperty('DisplayOrder');
  });

  it('answers ResourceNotFoundException for an unknown id, an id that is not a number, and a deleted status', async () => {
    const account = newAccount();
    const { AgentStatusId } = await create({ InstanceId: account });
    await lpSend(account, 'DELETE', `/${AgentStatusId}`);
    for (const id of ['999', 'abc', '0', AgentStatusId!]) {
      const error = await failure(describeStatus(account, id));
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.$metadata.httpStatusCode).toBe(404);
    }
  });
});

describe('CreateAgentStatus without DisplayOrder', () => {
  it('has no DisplayOrder, and comes before every other reason in the LivePerson list (state Away)', async () => {
    const account = newAccount();
    await lpSend(account, 'POST', '', [{ text: 'First', state: 'Online' }]);
    const { AgentStatusId } = await create({ InstanceId: account, Name: 'Break' });
    expect((await describeStatus(account, AgentStatusId!)).AgentStatus).not.toHaveProperty('DisplayOrder');
    const listed = await livePerson(account, '');
    expect(listed.items.map((r) => [r.text, r.state])).toEqual([
      ['Break', 'Away'],
      ['First', 'Online'],
    ]);
    expect(listed.items[0]!.order).toBeLessThanOrEqual(0);
  });
});

describe('ListAgentStatuses', () => {
  it('lists summaries of the non-deleted reasons by id, with the AgentStatusTypes filter', async () => {
    const account = newAccount();
    const ids = [];
    for (const Name of ['a', 'b', 'c']) ids.push((await create({ InstanceId: account, Name })).AgentStatusId!);
    await lpSend(account, 'DELETE', `/${ids[1]}`);
    const all = await client.send(new ListAgentStatusesCommand({ InstanceId: account }));
    expect(all.NextToken).toBeUndefined();
    expect(all.AgentStatusSummaryList).toEqual(
      [ids[0], ids[2]].map((id, i) => ({
        Id: id,
        Arn: arnOf(account, id!),
        Name: ['a', 'c'][i],
        Type: 'CUSTOM',
        LastModifiedTime: expect.any(Date),
        LastModifiedRegion: 'us-east-1',
      })),
    );
    const custom = await client.send(new ListAgentStatusesCommand({ InstanceId: account, AgentStatusTypes: ['CUSTOM', 'ROUTABLE'] }));
    expect(custom.AgentStatusSummaryList).toHaveLength(2);
    const system = await client.send(new ListAgentStatusesCommand({ InstanceId: account, AgentStatusTypes: ['ROUTABLE', 'OFFLINE'] }));
    expect(system.AgentStatusSummaryList).toEqual([]);
  });

  it('pages with MaxResults and NextToken, and paginateListAgentStatuses walks every page', async () => {
    const account = newAccount();
    await lpSend(account, 'POST', '', Array.from({ length: 7 }, (_, i) => ({ text: `r${i}`, state: 'Away' })));
    const pages: string[][] = [];
    for await (const page of paginateListAgentStatuses({ client, pageSize: 3 }, { InstanceId: account })) {
      pages.push(page.AgentStatusSummaryList!.map((s) => s.Name!));
    }
    expect(pages).toEqual([['r0', 'r1', 'r2'], ['r3', 'r4', 'r5'], ['r6']]);
    const whole = await client.send(new ListAgentStatusesCommand({ InstanceId: account, MaxResults: 1000 }));
    expect(whole.AgentStatusSummaryList).toHaveLength(7);
    expect(whole.NextToken).toBeUndefined();
  });

  it('keeps paging stable under writes between pages: nothing repeated, nothing that stayed is skipped, new ones come last', async () => {
    const account = newAccount();
    const created = await lpSend(account, 'POST', '', Array.from({ length: 6 }, (_, i) => ({ text: `r${i}`, state: 'Away', order: 6 - i })));
    const first = await client.send(new ListAgentStatusesCommand({ InstanceId: account, MaxResults: 2 }));
    expect(first.AgentStatusSummaryList!.map((s) => s.Name)).toEqual(['r0', 'r1']);
    // Between pages: one reason is created (LivePerson puts it first in its order), one not yet seen is deleted, one seen is renamed.
    await lpSend(account, 'POST', '', { text: 'new', state: 'Away' });
    await lpSend(account, 'DELETE', `/${created[3].id}`);
    await lpSend(account, 'PUT', `/${created[0].id}`, { text: 'r0 renamed', state: 'Away' });
    const seen = [...first.AgentStatusSummaryList!.map((s) => s.Name)];
    let token = first.NextToken;
    while (token) {
      const next = await client.send(new ListAgentStatusesCommand({ InstanceId: account, MaxResults: 2, NextToken: token }));
      seen.push(...next.AgentStatusSummaryList!.map((s) => s.Name));
      token = next.NextToken;
    }
    expect(seen).toEqual(['r0', 'r1', 'r2', 'r4', 'r5', 'new']);
  });
});

describe('UpdateAgentStatus', () => {
  it('changes Name, Description, State and DisplayOrder, as the LivePerson API then shows', async () => {
    const account = newAccount();
    const { AgentStatusId } = await create({ InstanceId: account, Name: 'Lunch', DisplayOrder: 2 });
    const before = await lpItem(account, AgentStatusId!);
    const out = await client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, Name: ' Dinner ', Description: 'late', State: 'DISABLED', DisplayOrder: 9 }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(await lpItem(account, AgentStatusId!)).toEqual({ ...before, text: 'Dinner', description: 'late', enabled: false, order: 9 });
    const after = (await describeStatus(account, AgentStatusId!)).AgentStatus!;
    expect(after).toMatchObject({ Name: 'Dinner', Description: 'late', State: 'DISABLED', DisplayOrder: 9 }); // LastModifiedTime: below
    // Fields left out keep their values; the LivePerson state is never touched.
    await client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, State: 'ENABLED' }));
    expect(await lpItem(account, AgentStatusId!)).toEqual({ ...before, text: 'Dinner', description: 'late', enabled: true, order: 9 });
  });

  it('keeps a LivePerson state that is not Away', async () => {
    const account = newAccount();
    const [created] = await lpSend(account, 'POST', '', [{ text: 'Ready', state: 'Online' }]);
    await client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId: String(created.id), Name: 'Ready now' }));
    expect(await lpItem(account, created.id)).toMatchObject({ text: 'Ready now', state: 'Online' });
  });

  it('ResetOrderNumber removes the display order: no DisplayOrder, and first in the LivePerson order', async () => {
    const account = newAccount();
    await lpSend(account, 'POST', '', [{ text: 'low', state: 'Away', order: -5 }]);
    const { AgentStatusId } = await create({ InstanceId: account, Name: 'Reset me', DisplayOrder: 30 });
    await client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, ResetOrderNumber: true }));
    expect((await describeStatus(account, AgentStatusId!)).AgentStatus).not.toHaveProperty('DisplayOrder');
    const listed = await livePerson(account, '');
    expect(listed.items.map((r) => [r.text, r.order])).toEqual([
      ['Reset me', -6],
      ['low', -5],
    ]);
    // ResetOrderNumber: false changes nothing about the order.
    await client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, ResetOrderNumber: false, Description: 'kept' }));
    expect(await lpItem(account, AgentStatusId!)).toMatchObject({ order: -6, description: 'kept' });
  });

  it('refuses a Name another status has (DuplicateResourceException), an unknown or deleted status (ResourceNotFoundException), and DisplayOrder with ResetOrderNumber', async () => {
    const account = newAccount();
    await create({ InstanceId: account, Name: 'Taken' });
    const { AgentStatusId } = await create({ InstanceId: account, Name: 'Mine' });
    const duplicate = await failure(client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, Name: 'TAKEN' })));
    expect(duplicate).toBeInstanceOf(DuplicateResourceException);
    const both = await failure(client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, DisplayOrder: 3, ResetOrderNumber: true })));
    expect(both).toBeInstanceOf(InvalidParameterException);
    expect(both.message).toMatch(/ResetOrderNumber/);
    const revision = (await livePerson(account)).revision;
    await lpSend(account, 'DELETE', `/${AgentStatusId}`);
    for (const id of [AgentStatusId!, '424242']) {
      expect(await failure(client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId: id, Name: 'x' })))).toBeInstanceOf(ResourceNotFoundException);
    }
    expect((await livePerson(account)).revision).toBe(revision + 1);
  });
});

describe('LastModifiedTime', () => {
  it('is the time of the last write to the reason: create, UpdateAgentStatus, LivePerson PUT, a reorder that moves it, TagResource, UntagResource', async () => {
    const account = newAccount();
    const lastModified = async (id: string) =>
      (await clockedClient.send(new DescribeAgentStatusCommand({ InstanceId: account, AgentStatusId: id }))).AgentStatus!.LastModifiedTime!.getTime();
    const lp = async (method: string, suffix: string, body: unknown) => {
      const res = await clockedApi.http(`${BASE(account)}${suffix}`, { method, token: await clockedApi.tokenFor(account), body });
      expect(res.status).toBe(200);
    };
    // A minute ago, on a whole second (LastModifiedTime travels as epoch seconds), then a second later each write.
    const start = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    clock = start;
    const createIn = (Name: string, DisplayOrder: number) => clockedClient.send(new CreateAgentStatusCommand({ InstanceId: account, Name, State: 'ENABLED', DisplayOrder }));
    const { AgentStatusId: id, AgentStatusARN: arn } = await createIn('Lunch', 1);
    const { AgentStatusId: other } = await createIn('Break', 2);
    const { AgentStatusId: third } = await createIn('Gym', 3);
    expect(await lastModified(id!)).toBe(start);

    const writes: [string, () => Promise<unknown>][] = [
      ['UpdateAgentStatus', () => clockedClient.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId: id, Description: 'late' }))],
      ['LivePerson PUT', () => lp('PUT', `/${id}`, { text: 'Dinner', state: 'Away' })],
      // The longest run already in order (Break, Gym) stays: the reorder writes Lunch alone.
      ['a reorder that moves it', () => lp('POST', '/reorder', { ids: [Number(other), Number(third), Number(id)] })],
      ['TagResource', () => clockedClient.send(new TagResourceCommand({ resourceArn: arn, tags: { team: 'a' } }))],
      ['UntagResource', () => clockedClient.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team'] }))],
    ];
    for (const [what, write] of writes) {
      clock += 1000;
      await write();
      expect(await lastModified(id!), what).toBe(clock);
    }
    // A reason none of these wrote keeps the time of its creation.
    expect(await lastModified(other!)).toBe(start);
    expect(await lastModified(third!)).toBe(start);
  });
});

describe('SearchAgentStatuses', () => {
  let account: string;
  beforeAll(async () => {
    account = newAccount();
    await lpSend(account, 'POST', '', [
      { text: 'Lunch break', state: 'Away', order: 1, description: 'Out to eat', tags: { team: 'a', site: 'paris' } },
      { text: 'Training', state: 'Away', order: 2, enabled: false, tags: { team: 'b' } },
      { text: 'Meeting', state: 'Away', order: 60, description: 'Weekly BREAK-out', tags: { team: 'a' } },
      { text: 'Coffee break', state: 'Online', order: 3 },
    ]);
    await lpSend(account, 'POST', '', { text: 'Deleted break', state: 'Away', deleted: true });
  });

  const search = async (SearchCriteria?: AgentStatusSearchCriteria, SearchFilter?: AgentStatusSearchFilter) => {
    const out = await client.send(new SearchAgentStatusesCommand({ InstanceId: account, SearchCriteria, SearchFilter }));
    return { names: out.AgentStatuses!.map((s) => s.Name), total: out.ApproximateTotalCount };
  };

  it.each<[string, AgentStatusSearchCriteria | undefined, string[]]>([
    ['no criteria: every non-deleted status', undefined, ['Lunch break', 'Training', 'Meeting', 'Coffee break']],
    ['name STARTS_WITH, ignoring case', { StringCondition: { FieldName: 'name', Value: 'lunch', ComparisonType: 'STARTS_WITH' } }, ['Lunch break']],
    ['name CONTAINS', { StringCondition: { FieldName: 'name', Value: 'BREAK', ComparisonType: 'CONTAINS' } }, ['Lunch break', 'Coffee break']],
    ['name EXACT, case and all', { StringCondition: { FieldName: 'name', Value: 'Training', ComparisonType: 'EXACT' } }, ['Training']],
    ['name EXACT with another case', { StringCondition: { FieldName: 'name', Value: 'training', ComparisonType: 'EXACT' } }, []],
    ['description CONTAINS (no description: no match)', { StringCondition: { FieldName: 'description', Value: 'break', ComparisonType: 'CONTAINS' } }, ['Meeting']],
    ['state EXACT', { StringCondition: { FieldName: 'state', Value: 'DISABLED', ComparisonType: 'EXACT' } }, ['Training']],
    ['type EXACT CUSTOM', { StringCondition: { FieldName: 'type', Value: 'CUSTOM', ComparisonType: 'EXACT' } }, ['Lunch break', 'Training', 'Meeting', 'Coffee break']],
    ['type ROUTABLE', { StringCondition: { FieldName: 'type', Value: 'ROUTABLE', ComparisonType: 'EXACT' } }, []],
    ['displayOrder EXACT (60 is no DisplayOrder)', { OrConditions: [{ StringCondition: { FieldName: 'displayOrder', Value: '2', ComparisonType: 'EXACT' } }, { StringCondition: { FieldName: 'displayOrder', Value: '60', ComparisonType: 'EXACT' } }] }, ['Training']],
    ['resourceID EXACT', { StringCondition: { FieldName: 'resourceID', Value: '3', ComparisonType: 'EXACT' } }, ['Meeting']],
    [
      'AndConditions with nested OrConditions',
      {
        AndConditions: [
          { StringCondition: { FieldName: 'name', Value: 'break', ComparisonType: 'CONTAINS' } },
          { OrConditions: [{ StringCondition: { FieldName: 'state', Value: 'ENABLED', ComparisonType: 'EXACT' } }, { StringCondition: { FieldName: 'name', Value: 'x', ComparisonType: 'CONTAINS' } }] },
          { StringCondition: { FieldName: 'description', Value: 'out', ComparisonType: 'STARTS_WITH' } },
        ],
      },
      ['Lunch break'],
    ],
  ])('%s', async (_, criteria, names) => {
    expect(await search(criteria)).toEqual({ names, total: names.length });
  });

  it.each<[string, AgentStatusSearchFilter, string[]]>([
    ['TagCondition', { AttributeFilter: { TagCondition: { TagKey: 'team', TagValue: 'a' } } }, ['Lunch break', 'Meeting']],
    ['AndCondition', { AttributeFilter: { AndCondition: { TagConditions: [{ TagKey: 'team', TagValue: 'a' }, { TagKey: 'site', TagValue: 'paris' }] } } }, ['Lunch break']],
    [
      'OrConditions',
      { AttributeFilter: { OrConditions: [{ TagConditions: [{ TagKey: 'team', TagValue: 'b' }] }, { TagConditions: [{ TagKey: 'site', TagValue: 'paris' }] }] } },
      ['Lunch break', 'Training'],
    ],
    ['a tag no status has', { AttributeFilter: { TagCondition: { TagKey: 'team', TagValue: 'z' } } }, []],
  ])('tag filter: %s', async (_, filter, names) => {
    expect(await search(undefined, filter)).toEqual({ names, total: names.length });
  });

  it('answers whole agent statuses, pages with paginateSearchAgentStatuses, and counts every match in ApproximateTotalCount', async () => {
    const criteria: AgentStatusSearchCriteria = { StringCondition: { FieldName: 'state', Value: 'ENABLED', ComparisonType: 'EXACT' } };
    const pages = [];
    for await (const page of paginateSearchAgentStatuses({ client, pageSize: 2 }, { InstanceId: account, SearchCriteria: criteria })) pages.push(page);
    expect(pages.map((p) => p.AgentStatuses!.map((s) => s.Name))).toEqual([['Lunch break', 'Meeting'], ['Coffee break']]);
    expect(pages.map((p) => p.ApproximateTotalCount)).toEqual([3, 3]);
    expect(pages[0]!.AgentStatuses![0]).toEqual({
      AgentStatusARN: arnOf(account, 1),
      AgentStatusId: '1',
      Name: 'Lunch break',
      Description: 'Out to eat',
      Type: 'CUSTOM',
      DisplayOrder: 1,
      State: 'ENABLED',
      Tags: { team: 'a', site: 'paris' },
      LastModifiedTime: expect.any(Date),
      LastModifiedRegion: 'us-east-1',
    });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown FieldName', { SearchCriteria: { StringCondition: { FieldName: 'color', Value: 'x', ComparisonType: 'EXACT' } } }, /FieldName must be one of/],
    ['an unknown ComparisonType', { SearchCriteria: { StringCondition: { FieldName: 'name', Value: 'x', ComparisonType: 'ENDS_WITH' } } }, /ComparisonType must be/],
    ['a StringCondition without Value', { SearchCriteria: { StringCondition: { FieldName: 'name', ComparisonType: 'EXACT' } } }, /Value is required/],
    ['empty OrConditions', { SearchCriteria: { OrConditions: [] } }, /OrConditions must not be empty/],
    ['MaxResults 101', { MaxResults: 101 }, /MaxResults must be from 1 to 100/],
    ['MaxResults 0', { MaxResults: 0 }, /MaxResults must be from 1 to 100/],
    ['an InstanceId that is not an account id', { InstanceId: 'no such/instance' }, /InstanceId/],
    [
      'over 100 conditions',
      { SearchCriteria: { OrConditions: Array.from({ length: 101 }, (_, i) => ({ StringCondition: { FieldName: 'name', Value: `n${i}`, ComparisonType: 'EXACT' } })) } },
      /at most 100 conditions/,
    ],
  ])('refuses %s with InvalidParameterException', async (_, input, message) => {
    const error = await failure(client.send(new SearchAgentStatusesCommand({ InstanceId: account, ...input } as never)));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toMatch(message);
  });
});

describe('TagResource, UntagResource, ListTagsForResource', () => {
  it('adds and overwrites tags, removes them by key, and lists them; the LivePerson API sees each change', async () => {
    const account = newAccount();
    const { AgentStatusARN, AgentStatusId } = await create({ InstanceId: account, Tags: { team: 'a' } });
    await client.send(new TagResourceCommand({ resourceArn: AgentStatusARN, tags: { team: 'b', site: 'paris' } }));
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: AgentStatusARN }))).tags).toEqual({ team: 'b', site: 'paris' });
    expect((await lpItem(account, AgentStatusId!)).tags).toEqual({ team: 'b', site: 'paris' });

    await client.send(new UntagResourceCommand({ resourceArn: AgentStatusARN, tagKeys: ['team', 'absent'] }));
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: AgentStatusARN }))).tags).toEqual({ site: 'paris' });
    await client.send(new UntagResourceCommand({ resourceArn: AgentStatusARN, tagKeys: ['site'] }));
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: AgentStatusARN }))).tags).toEqual({});
    expect(await lpItem(account, AgentStatusId!)).not.toHaveProperty('tags');
    expect((await describeStatus(account, AgentStatusId!)).AgentStatus).not.toHaveProperty('Tags');
  });

  it('lists the tags a LivePerson write set', async () => {
    const account = newAccount();
    const created = await lpSend(account, 'POST', '', { text: 'Tagged', state: 'Away', tags: { from: 'liveperson' } });
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: arnOf(account, created.id) }))).tags).toEqual({ from: 'liveperson' });
  });

  it.each([
    ['an aws: key', { 'aws:owner': 'x' }, /aws:/],
    ['an AWS: key, in any case', { 'AWS:owner': 'x' }, /aws:/],
    ['a key with a character Connect refuses', { 'team#1': 'x' }, /may hold only/],
    ['an empty tag map', {}, /at least one tag/],
  ])('TagResource refuses %s with InvalidParameterException, and writes nothing', async (_, tags, message) => {
    const account = newAccount();
    const { AgentStatusARN } = await create({ InstanceId: account });
    const revision = (await livePerson(account)).revision;
    const error = await failure(client.send(new TagResourceCommand({ resourceArn: AgentStatusARN, tags })));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toMatch(message);
    expect((await livePerson(account)).revision).toBe(revision);
  });

  it('counts a tag key in characters, not UTF-16 units, in CreateAgentStatus, TagResource and UntagResource', async () => {
    // 𠀀 (U+20000) is a letter, so Connect's key pattern allows it, and two UTF-16 units.
    const [key128, key129] = ['𠀀'.repeat(128), '𠀀'.repeat(129)];
    const account = newAccount();
    const { AgentStatusARN } = await create({ InstanceId: account, Tags: { [key128]: 'created' } });
    await client.send(new TagResourceCommand({ resourceArn: AgentStatusARN, tags: { [key128]: 'tagged' } }));
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: AgentStatusARN }))).tags).toEqual({ [key128]: 'tagged' });
    const revision = (await livePerson(account)).revision;
    for (const request of [
      () => create({ InstanceId: account, Name: 'Other', Tags: { [key129]: 'v' } }),
      () => client.send(new TagResourceCommand({ resourceArn: AgentStatusARN, tags: { [key129]: 'v' } })),
      () => client.send(new UntagResourceCommand({ resourceArn: AgentStatusARN, tagKeys: [key129] })),
    ]) {
      const error = await failure(request());
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toMatch(/1–128 characters \((key #1 has|got) 129\)/);
    }
    expect((await livePerson(account)).revision).toBe(revision);
    await client.send(new UntagResourceCommand({ resourceArn: AgentStatusARN, tagKeys: [key128] }));
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: AgentStatusARN }))).tags).toEqual({});
  });

  it('refuses an aws: key in CreateAgentStatus and UntagResource, and more than 50 tags after a TagResource', async () => {
    const account = newAccount();
    expect(await failure(create({ InstanceId: account, Tags: { 'aws:x': 'y' } }))).toBeInstanceOf(InvalidParameterException);
    const { AgentStatusARN } = await create({ InstanceId: account, Tags: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v'])) });
    expect(await failure(client.send(new UntagResourceCommand({ resourceArn: AgentStatusARN, tagKeys: ['aws:x'] })))).toBeInstanceOf(InvalidParameterException);
    await client.send(new TagResourceCommand({ resourceArn: AgentStatusARN, tags: { k0: 'changed', k49: 'v' } }));
    const tooMany = await failure(client.send(new TagResourceCommand({ resourceArn: AgentStatusARN, tags: { k50: 'v' } })));
    expect(tooMany).toBeInstanceOf(InvalidParameterException);
    expect(tooMany.message).toMatch(/at most 50 tags/);
    expect(Object.keys((await client.send(new ListTagsForResourceCommand({ resourceArn: AgentStatusARN }))).tags!)).toHaveLength(50);
  });

  it('answers ResourceNotFoundException for an ARN of another region, account, resource type or instance, or of a deleted status; InvalidParameterException for a string that is no ARN', async () => {
    const account = newAccount();
    const { AgentStatusId } = await create({ InstanceId: account });
    for (const arn of [
      `arn:aws:connect:eu-west-1:000000000000:instance/${account}/agent-state/${AgentStatusId}`,
      `arn:aws:connect:us-east-1:111111111111:instance/${account}/agent-state/${AgentStatusId}`,
      `arn:aws:connect:us-east-1:000000000000:instance/${account}/queue/${AgentStatusId}`,
      arnOf(newAccount(), AgentStatusId!),
      arnOf(account, 'not-a-number'),
    ]) {
      for (const command of [new ListTagsForResourceCommand({ resourceArn: arn }), new TagResourceCommand({ resourceArn: arn, tags: { a: 'b' } })]) {
        expect(await failure(client.send(command as never))).toBeInstanceOf(ResourceNotFoundException);
      }
    }
    await lpSend(account, 'DELETE', `/${AgentStatusId}`);
    expect(await failure(client.send(new ListTagsForResourceCommand({ resourceArn: arnOf(account, AgentStatusId!) })))).toBeInstanceOf(ResourceNotFoundException);
    expect(await failure(client.send(new UntagResourceCommand({ resourceArn: arnOf(account, AgentStatusId!), tagKeys: ['a'] })))).toBeInstanceOf(ResourceNotFoundException);
    expect(await failure(client.send(new ListTagsForResourceCommand({ resourceArn: 'not an arn' })))).toBeInstanceOf(InvalidParameterException);
  });
});

describe('one account, two APIs', () => {
  it('each Connect write shows in the LivePerson list at the next revision, and each LivePerson write in Connect', async () => {
    const account = newAccount();
    const { AgentStatusId, AgentStatusARN } = await create({ InstanceId: account, Name: 'Lunch', DisplayOrder: 4 });
    expect(await livePerson(account, '')).toEqual({ revision: 1, items: [{ id: Number(AgentStatusId), text: 'Lunch', state: 'Away', enabled: true, deleted: false, order: 4 }] });
    await client.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, Description: 'eat' }));
    await client.send(new TagResourceCommand({ resourceArn: AgentStatusARN, tags: { a: 'b' } }));
    await client.send(new UntagResourceCommand({ resourceArn: AgentStatusARN, tagKeys: ['a'] }));
    expect(await livePerson(account, '')).toEqual({
      revision: 4,
      items: [{ id: Number(AgentStatusId), text: 'Lunch', state: 'Away', enabled: true, deleted: false, order: 4, description: 'eat' }],
    });

    await lpSend(account, 'PUT', `/${AgentStatusId}`, { text: 'Lunch break', state: 'Occupied', order: 8, tags: { x: 'y' } });
    expect((await describeStatus(account, AgentStatusId!)).AgentStatus).toMatchObject({ Name: 'Lunch break', DisplayOrder: 8, Description: 'eat', Tags: { x: 'y' } });
    const search = await client.send(new SearchAgentStatusesCommand({ InstanceId: account, SearchCriteria: { StringCondition: { FieldName: 'name', Value: 'lunch b', ComparisonType: 'STARTS_WITH' } } }));
    expect(search.AgentStatuses!.map((s) => s.AgentStatusId)).toEqual([AgentStatusId]);
    await lpSend(account, 'DELETE', `/${AgentStatusId}`);
    expect((await client.send(new ListAgentStatusesCommand({ InstanceId: account }))).AgentStatusSummaryList).toEqual([]);
    // Its Name is free again for Connect.
    expect((await create({ InstanceId: account, Name: 'lunch break' })).AgentStatusId).toBe('2');
  });
});
