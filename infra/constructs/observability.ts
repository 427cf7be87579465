// What the operators see: the alarms (and the SNS topic they notify) and the
// dashboard of write outcomes, leases, retries, functions, API and table.
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, STORE_RETRIES, WRITES_REFUSED } from '../../functions/metric-names.js';
import { THROTTLE_ALARM_OPERATIONS } from './data.js';
import { FlatScope } from './flat-logical-ids.js';

/** One of the function's own metrics (functions/metrics.ts), every function together. */
export function serviceMetric(metricName: string, period: Duration, statistic = 'Sum', label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, period, statistic, ...(label && { label }) });
}

export interface ObservabilityProps {
  readonly api: IHttpApi;
  readonly table: dynamodb.ITableV2;
  /** The HTTP function, the direct-invoke function, and the pre-token trigger when there is one (in that order on the dashboard). */
  readonly httpFunction: lambda.IFunction;
  readonly invokeFunction: lambda.IFunction;
  readonly preTokenFunction?: lambda.IFunction;
  /** Email subscribed to a topic this construct makes; without it no topic is made and the alarms notify nobody. */
  readonly alarmEmail?: string;
}

export class Observability extends FlatScope {
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic?: sns.Topic;
  private readonly props: ObservabilityProps;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.props = props;
    const { api, table } = props;
    if (props.alarmEmail) {
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'agent-status-reasons alarms', enforceSSL: true });
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const period = Duration.minutes(5);
    const apiErrorRate = new cloudwatch.MathExpression({
      label: 'API 5xx rate (%)',
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: {
        errors: api.metricServerError({ period, statistic: 'Sum' }),
        requests: api.metricCount({ period, statistic: 'Sum' }),
      },
      period,
    });
    const functions = { http: props.httpFunction, invoke: props.invokeFunction, ...(props.preTokenFunction && { trigger: props.preTokenFunction }) };
    /** The sum over the functions of one of their metrics (ids are the keys of `functions`). */
    const overFunctions = (label: string, metricOf: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      new cloudwatch.MathExpression({
        label,
        expression: `SUM([${Object.keys(functions).join(', ')}])`,
        usingMetrics: Object.fromEntries(Object.entries(functions).map(([id, fn]) => [id, metricOf(fn)])),
        period,
      });
    const atLeastOnce = (alarmId: string, metric: cloudwatch.IMetric, alarmDescription: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        metric,
        alarmDescription,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms = [
      atLeastOnce(
        'FunctionErrorsAlarm',
        overFunctions('Function errors', (fn) => fn.metricErrors({ period, statistic: 'Sum' })),
        'A function reported errors (unhandled exceptions or timeouts).',
      ),
      atLeastOnce(
        'FunctionThrottlesAlarm',
        overFunctions('Function throttles', (fn) => fn.metricThrottles({ period, statistic: 'Sum' })),
        "Lambda throttled invocations of a function (its reserved concurrency, or the account's, was reached).",
      ),
      apiErrorRate.createAlarm(this, 'Api5xxRateAlarm', {
        alarmDescription: 'More than 5% of API requests answered 5xx over 5 minutes.',
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      atLeastOnce(
        'TableThrottlesAlarm',
        table.metricThrottledRequestsForOperations({ operations: THROTTLE_ALARM_OPERATIONS, period, statistic: 'Sum' }),
        'DynamoDB throttled requests on the status reasons table.',
      ),
      atLeastOnce(
        'OutcomeUnknownAlarm',
        serviceMetric(METRIC.writesOutcomeUnknown, period),
        'A write ended with its outcome unknown (answered 500 / InternalServiceException / OutcomeUnknown): the caller cannot tell whether it was applied.',
      ),
      atLeastOnce(
        'LeaseTakeoversAlarm',
        serviceMetric(METRIC.leaseTakeovers, period),
        "A write took over an account's lease that its holder had let expire: a writer died or overran its lease.",
      ),
    ];
    if (this.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(this.alarmTopic);
      for (const alarm of this.alarms) alarm.addAlarmAction(action);
    }
    this.dashboard = this.buildDashboard(period);
  }

  /** The operators' dashboard: write outcomes, the store's leases and retries, the functions, the API and the table. */
  private buildDashboard(period: Duration): cloudwatch.Dashboard {
    const { api, table, httpFunction, invokeFunction, preTokenFunction } = this.props;
    const metric = (name: string, label: string, statistic = 'Sum') => serviceMetric(name, period, statistic, label);
    const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...options });
    const perFunction = (of: (fn: lambda.IFunction) => cloudwatch.Metric, label: string) =>
      [httpFunction, invokeFunction, ...(preTokenFunction ? [preTokenFunction] : [])].map((fn, i) => of(fn).with({ label: `${['HTTP', 'invoke', 'pre-token'][i]} ${label}`, period }));
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      graph('Writes: applied and unknown outcomes', [metric(METRIC.writesApplied, 'applied'), metric(METRIC.writesOutcomeUnknown, 'outcome unknown (500)'), metric(METRIC.idempotentReplays, 'idempotent replays')]),
      graph('Writes refused, by kind (nothing written)', Object.entries(WRITES_REFUSED).map(([kind, name]) => metric(name, kind)), { stacked: true }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8, height: 6 }),
    );
    dashboard.addWidgets(
      graph("Wait for an account's lease (ms)", ['p50', 'p99', 'Maximum'].map((statistic) => metric(METRIC.leaseWaitMs, `lease wait ${statistic}`, statistic))),
      graph('Leases: takeovers, give-ups, full queues', [metric(METRIC.leaseTakeovers, 'taken over'), metric(METRIC.leaseWaitGaveUp, 'gave up waiting'), metric(METRIC.leaseQueueFull, 'queue full (429)')]),
      graph('DynamoDB calls sent again, by cause', [...Object.entries(STORE_RETRIES).map(([cause, name]) => metric(name, cause)), metric(METRIC.lostAnswersRecovered, 'lost answers recovered')], { stacked: true }),
    );
    dashboard.addWidgets(
      graph('Invocations, errors, throttles', [
        ...perFunction((fn) => fn.metricInvocations({ statistic: 'Sum' }), 'invocations'),
        ...perFunction((fn) => fn.metricErrors({ statistic: 'Sum' }), 'errors'),
        ...perFunction((fn) => fn.metricThrottles({ statistic: 'Sum' }), 'throttles'),
      ]),
      graph('Concurrent executions (max) against the reservations', perFunction((fn) => fn.metric('ConcurrentExecutions', { statistic: 'Maximum' }), 'concurrency')),
      graph('Duration p99 (ms)', perFunction((fn) => fn.metricDuration({ statistic: 'p99' }), 'p99')),
    );
    dashboard.addWidgets(
      graph('API requests and errors', [
        api.metricCount({ period, statistic: 'Sum', label: 'requests' }),
        api.metricClientError({ period, label: '4xx (429: throttled)' }),
        api.metricServerError({ period, label: '5xx' }),
      ]),
      graph('API latency (ms)', [api.metricLatency({ period, statistic: 'p50', label: 'p50' }), api.metricLatency({ period, statistic: 'p99', label: 'p99' })]),
      graph('Table: throttled requests', [table.metricThrottledRequestsForOperations({ operations: THROTTLE_ALARM_OPERATIONS, period, statistic: 'Sum', label: 'throttled' })]),
    );
    return dashboard;
  }
}
