// One logger for the function (Powertools: structured JSON, Lambda context keys).
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'agent-status-reasons' });
