import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BUILD_TIMEOUT_MS } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { Observability } from '../../../infra/constructs/observability.js';
import { withApi } from './support.js';

const build = (alarmEmail?: string, topicArn?: string) => {
  const { stack, table, functions, api } = withApi();
  const observability = new Observability(stack, 'Observability', {
    api: api.api,
    accessLogs: api.accessLogs,
    table,
    functions: {
      http: { fn: functions.httpFunction, label: 'HTTP', timeout: Duration.seconds(10), reservedConcurrency: 7 },
      invoke: { fn: functions.invokeFunction, label: 'invoke', timeout: Duration.seconds(10) },
    },
    ...(topicArn && { alarmTopicArn: topicArn }),
    alarmEmail,
  });
  return { stack, observability };
};

type Alarm = { Properties: Record<string, unknown> & { AlarmActions?: unknown[]; OKActions?: unknown[]; Metrics?: { Id: string; Expression?: string }[] } };
const alarmsOf = (t: Template) => t.findResources('AWS::CloudWatch::Alarm') as Record<string, Alarm>;
const alarm = (t: Template, prefix: string) => Object.entries(alarmsOf(t)).find(([id]) => id.includes(prefix))![1].Properties;

describe('Observability', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('makes its own SSL-only topic, which every alarm notifies on alarm and on recovery, and a dashboard showing them', () => {
    const { stack, observability } = build();
    const t = Template.fromStack(stack);
    const [topicId] = Object.keys(t.findResources('AWS::SNS::Topic'));
    expect(Object.keys(alarmsOf(t))).toHaveLength(observability.alarms.length);
    for (const a of Object.values(alarmsOf(t))) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
    t.resourceCountIs('AWS::SNS::Subscription', 0);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('notifies an existing topic when given one, and subscribes the email to it', () => {
    const arn = 'arn:aws:sns:eu-west-1:111122223333:pager';
    const { stack } = build('ops@example.com', arn);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: arn });
    for (const a of Object.values(alarmsOf(t))) expect(a.Properties.AlarmActions).toEqual([arn]);
  });

  it('the 5xx rate leaves out the designed 503s (busy) and needs 100 requests', () => {
    const p = alarm(Template.fromStack(build().stack), 'Api5xxRateAlarm');
    expect(p.Metrics!.find((m) => m.Expression)!.Expression).toBe('IF(requests >= 100, 100 * IF(FILL(errors, 0) > FILL(busy, 0), FILL(errors, 0) - FILL(busy, 0), 0) / requests, 0)');
    expect(JSON.stringify(p.Metrics)).toContain('"MetricName":"WritesRefusedBusy"');
    expect(p).toMatchObject({ Threshold: 5, EvaluationPeriods: 1 });
  });

  it('function throttles alarm as a share of attempts, sustained for 15 minutes, not at the first throttle', () => {
    const p = alarm(Template.fromStack(build().stack), 'FunctionThrottlesAlarm');
    const expressions = p.Metrics!.filter((m) => m.Expression).map((m) => m.Expression);
    expect(expressions).toContain('IF((invocations + throttles) >= 100, 100 * throttles / (invocations + throttles), 0)');
    expect(expressions).toContain('SUM([FILL(thttp, 0), FILL(tinvoke, 0)])');
    expect(p).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
  });

  it("counts the stage's own 429s from the access log and alarms on them, on full lease lines, and on durations near each timeout", () => {
    const t = Template.fromStack(build().stack);
    t.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.status = "429") && ($.integrationLatency = "-") }',
      MetricTransformations: [{ MetricNamespace: 'AgentStatusReasons', MetricName: 'StageThrottled', MetricValue: '1', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] }],
    });
    expect(JSON.stringify(alarm(t, 'StageThrottlesAlarm').Metrics)).toContain('"MetricName":"StageThrottled"');
    expect(alarm(t, 'LeaseQueueFullAlarm')).toMatchObject({ MetricName: 'LeaseQueueFull', Threshold: 20, EvaluationPeriods: 3 });
    expect(alarm(t, 'DurationNearTimeoutAlarmHttp')).toMatchObject({ MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 8000, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    expect(alarm(t, 'DurationNearTimeoutAlarmInvoke')).toMatchObject({ Threshold: 8000 });
  });

  it('draws the reserved concurrency beside its use', () => {
    const body = JSON.stringify(Template.fromStack(build().stack).findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('HTTP reserved (7)');
    expect(body).not.toContain('invoke reserved');
  });
});
