// The console's sign-in settings without a browser: what /config.json must say for OIDC, and when the page is the provider's redirect.
import { describe, expect, test } from 'vitest';
import { grantsWrite, isSignInCallback, oidcConfigOf } from '../../web/src/sign-in-config.js';

describe('oidcConfigOf', () => {
  test('takes the issuer and client id, with the defaults for scope and account claim', () => {
    expect(oidcConfigOf({ signIn: 'oidc', authority: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12/', clientId: ' 5abc ' })).toEqual({
      signIn: 'oidc',
      authority: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12',
      clientId: '5abc',
      scope: 'openid',
      accountClaim: 'account',
    });
    expect(oidcConfigOf({ signIn: 'oidc', authority: 'https://idp.example', clientId: 'c', scope: 'openid x/status-reasons:read', accountClaim: 'tenant', signOutUrl: 'https://d.auth.eu-west-1.amazoncognito.com/logout' })).toMatchObject({
      scope: 'openid x/status-reasons:read',
      accountClaim: 'tenant',
      signOutUrl: 'https://d.auth.eu-west-1.amazoncognito.com/logout',
    });
  });

  test('http only for a provider on this machine', () => {
    expect(oidcConfigOf({ authority: 'http://127.0.0.1:4000', clientId: 'c' })).not.toBeInstanceOf(Error);
    expect(oidcConfigOf({ authority: 'http://localhost:4000', clientId: 'c' })).not.toBeInstanceOf(Error);
    expect(String(oidcConfigOf({ authority: 'http://idp.example', clientId: 'c' }))).toMatch(/“authority” must be the issuer’s https URL/);
  });

  test('names every missing or wrong setting', () => {
    const error = oidcConfigOf({ signIn: 'oidc', authority: 'not a url', clientId: '', scope: 7, signOutUrl: 'javascript:alert(1)' });
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    for (const name of ['authority', 'clientId', 'scope', 'signOutUrl']) expect(message).toContain(`“${name}”`);
    expect(message).not.toContain('accountClaim');
  });
});

describe('isSignInCallback and grantsWrite', () => {
  test('a redirect carries state and a code or an error; anything else is a plain visit', () => {
    expect(isSignInCallback('?code=abc&state=xyz')).toBe(true);
    expect(isSignInCallback('?error=access_denied&state=xyz')).toBe(true);
    expect(isSignInCallback('?code=abc')).toBe(false);
    expect(isSignInCallback('')).toBe(false);
  });

  test('write in the bare or the resource-server form (as Cognito writes it) grants write; read alone does not', () => {
    expect(grantsWrite('openid agent-status-reasons/status-reasons:read agent-status-reasons/status-reasons:write')).toBe(true);
    expect(grantsWrite('openid agent-status-reasons/status-reasons:read')).toBe(false);
    expect(grantsWrite(undefined)).toBe(false);
  });
});
