// What the operators see: alarms that reach someone (an SNS topic this
// construct makes, or an existing one, with an optional email), and the
// dashboard of write outcomes, leases, retries, functions, API and table.
//
// The service answers overload by design: the stage answers 429 above its
// rate, the store answers 429 when an account's lease line is full and 503
// when it stays busy past its retries, and Lambda throttles at the reserved
// concurrency. One such answer is the design working, so no alarm fires on
// one: the rate alarms need a minimum number of requests (metric math) and
// most need the condition in three consecutive 5-minute periods; the 5xx rate
// leaves out the designed 503s. What always pages: an unknown write outcome,
// a lease takeover, a function error.
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, STORE_RETRIES, WRITES_REFUSED } from '../../functions/platform/metric-names.js';
import { THROTTLE_ALARM_OPERATIONS } from './data.js';
import { FlatScope } from './flat-logical-ids.js';

/** Requests the stage answered 429 itself (its rate or burst limit; the function never ran), from the access log. */
export const STAGE_THROTTLED_METRIC = 'StageThrottled';

/** The alarms' thresholds (docs/operations.md, "Alarms", says why each). */
export const ALARM_THRESHOLDS = {
  /** Every alarm looks at 5-minute periods. */
  periodMinutes: 5,
  /** A rate alarm stays quiet below this many requests (invocations) in a period: 1 failure in 3 requests is noise. */
  minimumRequests: 100,
  /** Unexpected 5xx (5xx less the designed 503s), % of requests, in one period. */
  unexpected5xxPercent: 5,
  /** Lambda throttles, % of attempts (invocations + throttles), in each of `sustainedPeriods` periods. */
  functionThrottlePercent: 5,
  /** Stage 429s, % of requests, in each of `sustainedPeriods` periods. */
  stageThrottlePercent: 5,
  /** Writes refused because an account's lease line was full, per period, in each of `sustainedPeriods` periods. */
  leaseQueueFullPerPeriod: 20,
  /** p99 duration as a share of the function's timeout, in 2 of `sustainedPeriods` periods. */
  durationShareOfTimeout: 0.8,
  /** Consecutive periods a back-pressure condition must last. */
  sustainedPeriods: 3,
} as const;

/** One of the function's own metrics (functions/platform/metrics.ts), every function together. */
export function serviceMetric(metricName: string, period: Duration, statistic = 'Sum', label?: string, service: string = SERVICE_NAME): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service }, period, statistic, ...(label && { label }) });
}

/** A function as the alarms and the dashboard see it. */
export interface ObservedFunction {
  readonly fn: lambda.IFunction;
  /** Its name on the dashboard ("HTTP", "invoke", "pre-token"). */
  readonly label: string;
  readonly timeout: Duration;
  /** Its reserved concurrency, drawn beside its use; undefined: none reserved. */
  readonly reservedConcurrency?: number;
}

export interface ObservabilityProps {
  readonly api: IHttpApi;
  /** The stage's access log (JSON lines with `status`, `integrationLatency` and `apiId`): the stage's own 429s are counted from it. */
  readonly accessLogs: logs.ILogGroup;
  readonly table: dynamodb.ITableV2;
  /** The functions by metric-math id (`http`, `invoke`, `trigger`): summed by the error and throttle alarms, one duration alarm each. */
  readonly functions: Readonly<Record<string, ObservedFunction>>;
  /** An existing standard SNS topic to notify; without it this construct makes one. */
  readonly alarmTopicArn?: string;
  /** An email address subscribed to the topic (it must confirm the subscription). */
  readonly alarmEmail?: string;
  /** The change events' publisher and dead-letter queue (infra/constructs/events.ts): an alarm on the queue, the publish lag on the dashboard. */
  readonly changeEvents?: { readonly publisher: lambda.IFunction; readonly deadLetterQueue: sqs.IQueue };
  /** The `service` dimension of the functions' own metrics (the stage's); defaults to SERVICE_NAME. */
  readonly serviceName?: string;
}

export class Observability extends FlatScope {
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** What every alarm notifies, on alarm and on recovery. */
  readonly alarmTopic: sns.ITopic;
  private readonly props: ObservabilityProps;
  /** The `service` dimension the functions write their metrics with. */
  private readonly serviceName: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.props = props;
    this.serviceName = props.serviceName ?? SERVICE_NAME;
    const { api, table, functions } = props;
    this.alarmTopic = props.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : new sns.Topic(this, 'AlarmTopic', { displayName: 'agent-status-reasons alarms', enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const t = ALARM_THRESHOLDS;
    const period = Duration.minutes(t.periodMinutes);
    /** The sum over the functions of one of their metrics, missing points as 0 (ids: `<prefix><function id>`). */
    const overFunctions = (label: string, prefix: string, metricOf: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      new cloudwatch.MathExpression({
        label,
        expression: `SUM([${Object.keys(functions).map((key) => `FILL(${prefix}${key}, 0)`).join(', ')}])`,
        usingMetrics: Object.fromEntries(Object.entries(functions).map(([key, f]) => [`${prefix}${key}`, metricOf(f.fn)])),
        period,
      });
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, alarmDescription: string, options: { threshold: number; periods?: number; datapoints?: number }) =>
      new cloudwatch.Alarm(this, alarmId, {
        metric,
        alarmDescription,
        threshold: options.threshold,
        evaluationPeriods: options.periods ?? 1,
        datapointsToAlarm: options.datapoints ?? options.periods ?? 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    /** `100 * part / whole` when `whole` reaches the minimum, else 0 (quiet at low traffic). */
    const percent = (label: string, part: string, whole: string, usingMetrics: Record<string, cloudwatch.IMetric>) =>
      new cloudwatch.MathExpression({ label, expression: `IF(${whole} >= ${t.minimumRequests}, 100 * ${part} / ${whole}, 0)`, usingMetrics, period });

    new logs.MetricFilter(this, 'StageThrottledFilter', {
      logGroup: props.accessLogs,
      metricNamespace: METRICS_NAMESPACE,
      metricName: STAGE_THROTTLED_METRIC,
      // The stage's own 429: no integration ran (the function's 429s have an integration latency).
      filterPattern: logs.FilterPattern.all(logs.FilterPattern.stringValue('$.status', '=', '429'), logs.FilterPattern.stringValue('$.integrationLatency', '=', '-')),
      metricValue: '1',
      dimensions: { ApiId: '$.apiId' },
    });
    const requests = api.metricCount({ period, statistic: 'Sum' });

    this.alarms = [
      alarm(
        'FunctionErrorsAlarm',
        overFunctions('Function errors', '', (fn) => fn.metricErrors({ period, statistic: 'Sum' })),
        'A function reported errors (unhandled exceptions or timeouts).',
        { threshold: 1 },
      ),
      alarm(
        'FunctionThrottlesAlarm',
        percent('Function throttles (% of attempts)', 'throttles', '(invocations + throttles)', {
          throttles: overFunctions('throttles', 't', (fn) => fn.metricThrottles({ period, statistic: 'Sum' })),
          invocations: overFunctions('invocations', 'i', (fn) => fn.metricInvocations({ period, statistic: 'Sum' })),
        }),
        `Lambda throttled at least ${t.functionThrottlePercent}% of invocation attempts for ${t.sustainedPeriods * t.periodMinutes} minutes (at least ${t.minimumRequests} attempts each 5 minutes): the reserved concurrency is too small for the load (raise httpConcurrency / invokeConcurrency) or a caller floods.`,
        { threshold: t.functionThrottlePercent, periods: t.sustainedPeriods },
      ),
      alarm(
        'Api5xxRateAlarm',
        percent('API unexpected 5xx (% of requests)', 'IF(FILL(errors, 0) > FILL(busy, 0), FILL(errors, 0) - FILL(busy, 0), 0)', 'requests', {
          errors: api.metricServerError({ period, statistic: 'Sum' }),
          busy: serviceMetric(WRITES_REFUSED.busy, period, 'Sum', undefined, this.serviceName),
          requests,
        }),
        `At least ${t.unexpected5xxPercent}% of API requests answered 5xx other than the designed 503 (an account busy past every retry) over 5 minutes, with at least ${t.minimumRequests} requests.`,
        { threshold: t.unexpected5xxPercent },
      ),
      alarm(
        'TableThrottlesAlarm',
        table.metricThrottledRequestsForOperations({ operations: THROTTLE_ALARM_OPERATIONS, period, statistic: 'Sum' }),
        `DynamoDB throttled requests on the status reasons table in each of ${t.sustainedPeriods} consecutive 5-minute periods (the store retries a passing throttle; a lasting one ends in 503s).`,
        { threshold: 1, periods: t.sustainedPeriods },
      ),
      alarm(
        'OutcomeUnknownAlarm',
        serviceMetric(METRIC.writesOutcomeUnknown, period, 'Sum', undefined, this.serviceName),
        'A write ended with its outcome unknown (answered 500 / InternalServiceException / OutcomeUnknown): the caller cannot tell whether it was applied.',
        { threshold: 1 },
      ),
      alarm(
        'LeaseTakeoversAlarm',
        serviceMetric(METRIC.leaseTakeovers, period, 'Sum', undefined, this.serviceName),
        "A write took over an account's lease that its holder had let expire: a writer died or overran its lease.",
        { threshold: 1 },
      ),
      alarm(
        'StageThrottlesAlarm',
        percent('Stage 429s (% of requests)', 'FILL(throttled, 0)', 'requests', {
          throttled: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: STAGE_THROTTLED_METRIC, dimensionsMap: { ApiId: api.apiId }, period, statistic: 'Sum' }),
          requests,
        }),
        `The API stage itself answered 429 (its apiRateLimit / apiBurstLimit) to at least ${t.stageThrottlePercent}% of requests for ${t.sustainedPeriods * t.periodMinutes} minutes: raise the limits or find the caller.`,
        { threshold: t.stageThrottlePercent, periods: t.sustainedPeriods },
      ),
      alarm(
        'LeaseQueueFullAlarm',
        serviceMetric(METRIC.leaseQueueFull, period, 'Sum', undefined, this.serviceName),
        `At least ${t.leaseQueueFullPerPeriod} writes every 5 minutes for ${t.sustainedPeriods * t.periodMinutes} minutes were refused (429) because their account's lease line was full: a caller keeps writing one account faster than it can be written.`,
        { threshold: t.leaseQueueFullPerPeriod, periods: t.sustainedPeriods },
      ),
      ...Object.entries(functions).map(([key, f]) =>
        alarm(
          `DurationNearTimeoutAlarm${key[0]!.toUpperCase()}${key.slice(1)}`,
          f.fn.metricDuration({ period, statistic: 'p99' }),
          `The ${f.label} function's p99 duration reached ${t.durationShareOfTimeout * 100}% of its ${f.timeout.toSeconds()} s timeout in 2 of ${t.sustainedPeriods} periods: invocations are about to time out.`,
          { threshold: Math.round(f.timeout.toMilliseconds() * t.durationShareOfTimeout), periods: t.sustainedPeriods, datapoints: 2 },
        ),
      ),
      ...(props.changeEvents
        ? [
            alarm(
              'ChangeEventsDeadLetterAlarm',
              props.changeEvents.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
              'Change events could not be published after every retry: their stream records (shard and sequence numbers) are in the dead-letter queue. Subscribers missed those entries until they read changes?since=.',
              { threshold: 1 },
            ),
          ]
        : []),
    ];
    const action = new cloudwatchActions.SnsAction(this.alarmTopic);
    for (const a of this.alarms) {
      a.addAlarmAction(action);
      a.addOkAction(action);
    }
    this.dashboard = this.buildDashboard(period);
  }

  /** The operators' dashboard: write outcomes, the store's leases and retries, the functions, the API and the table. */
  private buildDashboard(period: Duration): cloudwatch.Dashboard {
    const { api, table, functions } = this.props;
    const observed = Object.values(functions);
    const metric = (name: string, label: string, statistic = 'Sum') => serviceMetric(name, period, statistic, label, this.serviceName);
    const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...options });
    const perFunction = (of: (fn: lambda.IFunction) => cloudwatch.Metric, label: string) => observed.map((f) => of(f.fn).with({ label: `${f.label} ${label}`, period }));
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
      graph('Concurrent executions (max) against the reservations', perFunction((fn) => fn.metric('ConcurrentExecutions', { statistic: 'Maximum' }), 'concurrency'), {
        leftAnnotations: observed.flatMap((f) => (f.reservedConcurrency === undefined ? [] : [{ value: f.reservedConcurrency, label: `${f.label} reserved (${f.reservedConcurrency})` }])),
      }),
      graph('Duration p99 (ms) against the timeouts', perFunction((fn) => fn.metricDuration({ statistic: 'p99' }), 'p99'), {
        leftAnnotations: [...new Set(observed.map((f) => f.timeout.toMilliseconds()))].map((ms) => ({ value: ms, label: `timeout ${ms / 1000} s` })),
      }),
    );
    dashboard.addWidgets(
      graph('API requests and errors', [
        api.metricCount({ period, statistic: 'Sum', label: 'requests' }),
        api.metricClientError({ period, label: '4xx (429: throttled)' }),
        api.metricServerError({ period, label: '5xx' }),
        new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: STAGE_THROTTLED_METRIC, dimensionsMap: { ApiId: api.apiId }, period, statistic: 'Sum', label: 'stage 429 (its limits)' }),
      ]),
      graph('API latency (ms)', [api.metricLatency({ period, statistic: 'p50', label: 'p50' }), api.metricLatency({ period, statistic: 'p99', label: 'p99' })]),
      graph('Table: throttled requests', [table.metricThrottledRequestsForOperations({ operations: THROTTLE_ALARM_OPERATIONS, period, statistic: 'Sum', label: 'throttled' })]),
    );
    const changeEvents = this.props.changeEvents;
    if (changeEvents) {
      // IteratorAge: how long a record waited in the stream before the publisher got it, i.e. the publish lag (commit to PutEvents, less the put itself).
      dashboard.addWidgets(
        graph('Change events: publish lag (IteratorAge, ms)', ['p50', 'p99', 'Maximum'].map((statistic) => changeEvents.publisher.metric('IteratorAge', { period, statistic, label: `lag ${statistic}` }))),
        graph('Change events: publisher invocations and errors, dead letters', [
          changeEvents.publisher.metricInvocations({ period, statistic: 'Sum', label: 'invocations' }),
          changeEvents.publisher.metricErrors({ period, statistic: 'Sum', label: 'errors' }),
          changeEvents.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'dead letters' }),
        ]),
      );
    }
    return dashboard;
  }
}
