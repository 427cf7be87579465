import { Template } from 'aws-cdk-lib/assertions';
import { BUILD_TIMEOUT_MS } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { Observability } from '../../../infra/constructs/observability.js';
import { withApi } from './support.js';

const build = (alarmEmail?: string) => {
  const { stack, table, functions, api } = withApi();
  const observability = new Observability(stack, 'Observability', { api: api.api, table, httpFunction: functions.httpFunction, invokeFunction: functions.invokeFunction, alarmEmail });
  return { stack, observability };
};

describe('Observability', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('makes the alarms and a dashboard showing them', () => {
    const { stack, observability } = build();
    const t = Template.fromStack(stack);
    expect(Object.keys(t.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(observability.alarms.length);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('with an email, every alarm notifies a topic it is subscribed to', () => {
    const { stack } = build('ops@example.com');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm')) as { Properties: { AlarmActions?: unknown[] } }[]) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });
});
