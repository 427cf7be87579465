// The Lambda entry point: one function serves every API shape. Each shape is an
// adapter over the same domain; this file only picks the adapter.
import type { Context } from 'aws-lambda';
import { createLivePersonHandler } from './http/liveperson.js';
import type { HttpEvent, HttpResult } from './http/types.js';
import { defaultStore } from './store/from-env.js';

const livePerson = createLivePersonHandler({ store: defaultStore });

export const handler = async (event: HttpEvent, context: Context): Promise<HttpResult> => livePerson(event, context);
