// DynamoDB's calls in plain JavaScript values, as lib-dynamodb's document client
// takes and answers them (its input and output types, `removeUndefinedValues`
// on), over AwsJsonClient: only the six operations the functions make. A
// refused condition's item (`ReturnValuesOnConditionCheckFailure`) stays in
// attribute-value form, as lib-dynamodb leaves it.
import type {
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  TransactGetCommandInput,
  TransactGetCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { AwsJsonClient, type AwsJsonClientOptions, type CallOptions } from './json-client.js';

export type { BatchWriteCommandInput, TransactWriteCommandInput };

export const DYNAMODB_PROTOCOL = { service: 'dynamodb', targetPrefix: 'DynamoDB_20120810', jsonVersion: '1.0' } as const;

/** A DynamoDB client: `call` takes and answers DynamoDB's own JSON (attribute values). */
export class DynamoClient extends AwsJsonClient {
  constructor(options: AwsJsonClientOptions = {}) {
    super(DYNAMODB_PROTOCOL, options);
  }
}

type Item = Record<string, unknown>;
type Wire = Record<string, any>;

const toWire = (value: Item | undefined): Wire | undefined => (value === undefined ? undefined : marshall(value, { removeUndefinedValues: true }));
const fromWire = (value: Wire | undefined): Item | undefined => (value === undefined ? undefined : unmarshall(binaryDecoded(value)));

/** Binary values arrive as base64 strings; unmarshall wants their bytes. */
function binaryDecoded(item: Wire): Wire {
  const out: Wire = {};
  for (const [name, value] of Object.entries(item)) out[name] = attributeDecoded(value);
  return out;
}
function attributeDecoded(value: Wire): Wire {
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { BS: value.BS.map((b: string) => Buffer.from(b, 'base64')) };
  if (value.M) return { M: binaryDecoded(value.M) };
  if (Array.isArray(value.L)) return { L: value.L.map(attributeDecoded) };
  return value;
}

/** Marshals the attribute-valued fields of one request (`Key`, `Item`, `ExpressionAttributeValues`, `ExclusiveStartKey`). */
function marshalFields<T extends object>(part: T): Wire {
  const out: Wire = { ...part };
  for (const field of ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const) {
    if (out[field] !== undefined) out[field] = toWire(out[field]);
  }
  return out;
}

/** One call: its operation, its input as the caller wrote it, and how its answer is read back. */
export abstract class DocumentCommand<Input extends object, Output> {
  abstract readonly operation: string;
  constructor(readonly input: Input) {}
  abstract wire(): Wire;
  abstract read(out: Wire): Output;
}

export class GetCommand extends DocumentCommand<GetCommandInput, GetCommandOutput> {
  readonly operation = 'GetItem';
  wire = () => marshalFields(this.input);
  read = (out: Wire) => ({ ...out, Item: fromWire(out.Item) }) as GetCommandOutput;
}

export class QueryCommand extends DocumentCommand<QueryCommandInput, QueryCommandOutput> {
  readonly operation = 'Query';
  wire = () => marshalFields(this.input);
  read = (out: Wire) => ({ ...out, Items: out.Items?.map((item: Wire) => fromWire(item)), LastEvaluatedKey: fromWire(out.LastEvaluatedKey) }) as QueryCommandOutput;
}

export class UpdateCommand extends DocumentCommand<UpdateCommandInput, UpdateCommandOutput> {
  readonly operation = 'UpdateItem';
  wire = () => marshalFields(this.input);
  read = (out: Wire) => ({ ...out, Attributes: fromWire(out.Attributes) }) as UpdateCommandOutput;
}

export class TransactGetCommand extends DocumentCommand<TransactGetCommandInput, TransactGetCommandOutput> {
  readonly operation = 'TransactGetItems';
  wire = () => ({ ...this.input, TransactItems: this.input.TransactItems?.map((item) => ({ Get: item.Get && marshalFields(item.Get) })) });
  read = (out: Wire) => ({ ...out, Responses: out.Responses?.map((r: Wire) => ({ ...r, Item: fromWire(r.Item) })) }) as TransactGetCommandOutput;
}

export class TransactWriteCommand extends DocumentCommand<TransactWriteCommandInput, TransactWriteCommandOutput> {
  readonly operation = 'TransactWriteItems';
  wire = () => ({
    ...this.input,
    TransactItems: this.input.TransactItems?.map((action) => {
      const out: Wire = {};
      for (const [kind, part] of Object.entries(action)) if (part !== undefined) out[kind] = marshalFields(part as object);
      return out;
    }),
  });
  read = (out: Wire) => out as TransactWriteCommandOutput;
}

type WriteRequests = Record<string, Array<{ PutRequest?: { Item?: Wire }; DeleteRequest?: { Key?: Wire } }>>;
const mapRequests = (requests: WriteRequests | undefined, map: (value: Wire | undefined) => Wire | undefined): WriteRequests | undefined =>
  requests &&
  Object.fromEntries(
    Object.entries(requests).map(([table, list]) => [
      table,
      list.map((request) => ({
        ...(request.PutRequest && { PutRequest: { ...request.PutRequest, Item: map(request.PutRequest.Item) } }),
        ...(request.DeleteRequest && { DeleteRequest: { ...request.DeleteRequest, Key: map(request.DeleteRequest.Key) } }),
      })),
    ]),
  );

export class BatchWriteCommand extends DocumentCommand<BatchWriteCommandInput, BatchWriteCommandOutput> {
  readonly operation = 'BatchWriteItem';
  wire = () => ({ ...this.input, RequestItems: mapRequests(this.input.RequestItems as WriteRequests, toWire) });
  read = (out: Wire) => ({ ...out, UnprocessedItems: mapRequests(out.UnprocessedItems, fromWire) }) as BatchWriteCommandOutput;
}

/** Sends document commands through a DynamoClient. */
export class DocumentClient {
  constructor(readonly client: DynamoClient) {}

  async send<Output>(command: DocumentCommand<object, Output>, options: CallOptions = {}): Promise<Output> {
    return command.read(await this.client.call<Wire>(command.operation, command.wire(), options));
  }
}
