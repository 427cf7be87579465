// zod's English messages for the few checks that carry none of their own
// (zod/mini, unlike the classic build, sets no locale by itself).
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());
