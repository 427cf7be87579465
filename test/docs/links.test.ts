// The README and docs/ pages link only to files that exist and headings that
// exist; and the checker that says so catches each kind of broken link.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/local/paths.js';
import { anchorsOf, checkLinks, githubSlug, linksOf } from './links.js';

const docsPages = () =>
  readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);

describe('the documentation', () => {
  it('the README links to every docs/ page (no page is left where nobody finds it)', () => {
    const linked = new Set(linksOf(readPage('README.md')).map(({ target }) => target.replace(/#.*$/, '')));
    expect(docsPages().length).toBeGreaterThan(0);
    expect(docsPages().filter((page) => !linked.has(page))).toEqual([]);
  });

  it('README.md and every docs/*.md: every relative link names an existing file, every #anchor a heading of its page', () => {
    const pages = ['README.md', ...docsPages()];
    // Non-vacuous: the pages link to each other and to their headings.
    expect(pages.flatMap((page) => linksOf(readPage(page))).length).toBeGreaterThan(20);
    expect(checkLinks(ROOT, pages)).toEqual([]);
  });
});

function readPage(page: string): string {
  return readFileSync(path.join(ROOT, page), 'utf8');
}

describe('githubSlug and anchorsOf', () => {
  it('make the ids GitHub gives headings', () => {
    expect(githubSlug('Signing: locally and in AWS')).toBe('signing-locally-and-in-aws');
    expect(githubSlug('What an answer means, and how to retry')).toBe('what-an-answer-means-and-how-to-retry');
    expect(githubSlug("The deleted reasons' history")).toBe('the-deleted-reasons-history');
    expect(githubSlug('Über_große Zahlen (2^53)')).toBe('über_große-zahlen-253');
    const anchors = anchorsOf(
      ['# Title', '## `transactionItems`: 4 (default), 24 or 0', '## From `cdk deploy` to a [working](x.md) **curl**', '## Errors', '### Errors', '```sh', '# not a heading', '```', 'Setext', '---', '<a id="kept"></a>'].join('\n'),
    );
    expect([...anchors].sort()).toEqual(['errors', 'errors-1', 'from-cdk-deploy-to-a-working-curl', 'kept', 'setext', 'title', 'transactionitems-4-default-24-or-0'].sort());
  });
});

describe('checkLinks on a small sample', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'asr-links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'docs'));
  mkdirSync(path.join(root, 'bench'));
  writeFileSync(path.join(root, 'bench', 'chart.svg'), '<svg/>');
  writeFileSync(path.join(root, 'openapi.json'), '{}');
  writeFileSync(
    path.join(root, 'README.md'),
    [
      '# Sample',
      '',
      '## Two commands',
      '',
      'Good: [here](#two-commands), [api](docs/api.md), [errors](docs/api.md#errors), [spec](openapi.json),',
      '[web](https://docs.aws.amazon.com/connect/latest/APIReference/API_CreateAgentStatus.html), <https://example.com/a>.',
      '',
      'Broken: [gone](docs/gone.md) and [nowhere](#no-such-heading).',
      '[stale](docs/api.md#old-heading) [bad url](http://exa mple.com) [no host](https:/x) [anchor in json](openapi.json#paths)',
      '[abs](/docs/api.md) [outside](../elsewhere.md) [odd](ftp://example.com/file)',
      '',
      '`[in code](docs/gone.md)` is not a link, nor is `this [one',
      'over a line break](docs/gone.md)`.',
      '',
      '```md',
      '[in a fence](docs/gone.md)',
      '```',
      '',
      '[ref]: docs/missing.md',
    ].join('\n'),
  );
  writeFileSync(
    path.join(root, 'docs', 'api.md'),
    ['# API', '', '## Errors', '', 'Back: [readme](../README.md#two-commands), [chart](../bench/chart.svg), [self](#errors).', 'Broken: [chart](bench/chart.svg), [up](../README.md#errors).'].join('\n'),
  );

  it('reports each broken link with its file, line and target, and nothing else', () => {
    const problems = checkLinks(root, ['README.md', 'docs/api.md']);
    expect(problems.map(({ file, line, target }) => `${file}:${line} ${target}`)).toEqual([
      'README.md:8 docs/gone.md',
      'README.md:8 #no-such-heading',
      'README.md:9 docs/api.md#old-heading',
      'README.md:9 http://exa mple.com',
      'README.md:9 https:/x',
      'README.md:9 openapi.json#paths',
      'README.md:10 /docs/api.md',
      'README.md:10 ../elsewhere.md',
      'README.md:10 ftp://example.com/file',
      'README.md:19 docs/missing.md',
      'docs/api.md:6 bench/chart.svg',
      'docs/api.md:6 ../README.md#errors',
    ]);
    expect(problems[0]!.message).toBe('names docs/gone.md, which does not exist');
    expect(problems[1]!.message).toBe('names #no-such-heading, which no heading of README.md has');
    expect(problems[2]!.message).toBe('names #old-heading, which no heading of docs/api.md has');
    expect(problems[5]!.message).toMatch(/not a Markdown page/);
  });

  it('passes the same pages once they are mended', () => {
    writeFileSync(path.join(root, 'ok.md'), ['# Ok', '', '[api](docs/api.md#errors) [me](#ok) [web](https://example.com/x?y=1#z)'].join('\n'));
    expect(checkLinks(root, ['ok.md'])).toEqual([]);
  });
});
