// The stack's own Connect grants (grantConnectInstances) as table items: one
// `GRANT#<principal>` / `#STACK#<n>` item per call, holding its instances as a
// string set, written at deploy and deleted with the grant by a custom
// resource. The function reads them beside the command's grants
// (functions/store/connect-grants.ts), so a grant's size is bounded by
// DynamoDB's 400 KB item (about 20,000 instance ids), not by IAM's policy
// sizes or Lambda's 4 KB environment. Every item is written by one role with
// one statement, whatever the number of grants.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { GRANT_INSTANCES_ATTRIBUTE, GRANT_PARTITION_PREFIX, grantPartition, STACK_GRANT_SORT_PREFIX } from '../../functions/store/connect-grants.js';
import { FlatScope } from './flat-logical-ids.js';

/** The construct id of the stack's one AwsCustomResource function (CDK makes it a singleton: the first custom resource's role is its role). */
const CUSTOM_RESOURCE_FUNCTION_ID = `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;

export class ConnectGrantItems extends FlatScope {
  private readonly table: dynamodb.ITableV2;
  private writerRole?: iam.IRole;
  private count = 0;

  constructor(scope: Construct, id: string, props: { table: dynamodb.ITableV2 }) {
    super(scope, id);
    this.table = props.table;
  }

  /** Writes the principal's instances as one item of its partition (removed with the grant). */
  add(principal: string, instances: readonly string[]): void {
    const sk = `${STACK_GRANT_SORT_PREFIX}${this.count++}`;
    const key = { pk: { S: grantPartition(principal) }, sk: { S: sk } };
    const put = {
      service: 'DynamoDB',
      action: 'putItem',
      parameters: { TableName: this.table.tableName, Item: { ...key, [GRANT_INSTANCES_ATTRIBUTE]: { SS: [...instances] } } },
      // A new principal at this place is a new resource: CloudFormation then deletes the old one's item.
      physicalResourceId: PhysicalResourceId.of(`${grantPartition(principal)}|${sk}`),
    };
    const role = this.role();
    const writer = new AwsCustomResource(this, `ConnectGrant${this.count - 1}`, {
      onCreate: put,
      onUpdate: put,
      onDelete: { service: 'DynamoDB', action: 'deleteItem', parameters: { TableName: this.table.tableName, Key: key } },
      role: role.role,
      logGroup: role.logGroup,
      installLatestAwsSdk: false,
    });
    // The function's role may be another construct's (the singleton was made first elsewhere): the statement goes to whichever it is, once.
    if (!this.writerRole) {
      this.writerRole = writer.grantPrincipal as iam.IRole;
      this.writerRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ConnectGrantItems',
          actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [this.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${GRANT_PARTITION_PREFIX}*`] } },
        }),
      );
    }
    writer.node.addDependency(this.writerRole);
  }

  /** The role (and log group) of the custom resources' function: the stack's singleton's when it exists, else one made here. */
  private role(): { role: iam.IRole; logGroup?: logs.ILogGroup } {
    const existing = Stack.of(this).node.tryFindChild(CUSTOM_RESOURCE_FUNCTION_ID) as lambda.Function | undefined;
    if (existing?.role) return { role: existing.role };
    const logGroup = new logs.LogGroup(this, 'ConnectGrantWriterLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    const role = new iam.Role(this, 'ConnectGrantWriterRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "agent-status-reasons: writes the stack's Connect grant items at deploy time",
    });
    logGroup.grantWrite(role);
    return { role, logGroup };
  }
}
