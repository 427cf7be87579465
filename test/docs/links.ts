// The documentation's link check: every relative link of a Markdown file must
// name a file of the repository, and every `#anchor` (in the page or in another
// Markdown page) a heading of the target, by the slug GitHub gives it. External
// http(s) links are only checked for form: the suite has no network.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface LinkProblem {
  /** The Markdown file, relative to the root the check was given. */
  file: string;
  line: number;
  target: string;
  message: string;
}

interface Link {
  line: number;
  target: string;
}

/**
 * GitHub's heading id (as github-slugger makes it): lower case, every character
 * that is not a letter, mark, number, connector (`_`), space or hyphen dropped,
 * each space a hyphen. Repeats of a slug get `-1`, `-2`, ... (see `anchorsOf`).
 */
export function githubSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** A heading's text as GitHub renders it, before the slug: no code ticks, `*` emphasis, link targets or HTML tags. */
function headingText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .trim();
}

/** Each line with fenced code blocks blanked, so that nothing in them counts as a heading or a link. */
function proseLines(markdown: string): string[] {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  return lines.map((line) => {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (opener && opener[1]![0] === fence[0] && opener[1]!.length >= fence.length && line.trim() === opener[1]) fence = undefined;
      return '';
    }
    if (opener) {
      fence = opener[1]!;
      return '';
    }
    return line;
  });
}

/** The anchors a Markdown page offers: its headings' slugs (repeats numbered) and explicit `id`/`name` attributes. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const add = (slug: string) => {
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  };
  const lines = proseLines(markdown);
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(line);
    if (atx) add(githubSlug(headingText(atx[1] ?? '')));
    else if (/^ {0,3}(=+|-+)\s*$/.test(line) && i > 0 && lines[i - 1]!.trim() && !/^\s*[|>-]/.test(lines[i - 1]!)) {
      add(githubSlug(headingText(lines[i - 1]!)));
    }
    for (const match of line.matchAll(/\s(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  });
  return anchors;
}

/** The links of a Markdown page: inline links and images, reference definitions and autolinks, outside code. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  // Code spans hold no links; blank them (keeping lengths and line breaks) so that their brackets
  // do not count either. A span may run over a line break, not over a blank line.
  const prose = proseLines(markdown)
    .join('\n')
    .replace(/(`+)((?:(?!\n[ \t]*\n)[\s\S])+?)\1(?!`)/g, (span) => span.replace(/[^\n]/g, ' '));
  prose.split('\n').forEach((line, i) => {
    for (const match of line.matchAll(/\]\(((?:[^()\n]|\([^()\n]*\))*)\)/g)) {
      // `(target "title")`; anything else with white space stays whole, and fails as a target.
      const inner = match[1]!.trim();
      const angled = /^<([^>]*)>(?:\s+.*)?$/.exec(inner);
      const titled = /^(\S+)\s+("[^"]*"|'[^']*'|\([^)]*\))$/.exec(inner);
      links.push({ line: i + 1, target: angled ? angled[1]! : titled ? titled[1]! : inner });
    }
    const definition = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (definition) links.push({ line: i + 1, target: definition[1]!.replace(/^<|>$/g, '') });
    for (const match of line.matchAll(/<((?:https?|mailto):[^>\s]*)>/g)) links.push({ line: i + 1, target: match[1]! });
  });
  return links;
}

function externalProblem(target: string): string | undefined {
  if (/^mailto:/i.test(target)) return /^mailto:[^@\s]+@[^@\s]+$/i.test(target) ? undefined : 'is not a well-formed mailto link';
  if (!/^https?:\/\/[^\s/?#]+[^\s]*$/i.test(target)) return 'is not a well-formed http(s) URL';
  try {
    const url = new URL(target);
    return url.hostname.includes('.') || url.hostname === 'localhost' ? undefined : 'has no proper host name';
  } catch {
    return 'is not a well-formed http(s) URL';
  }
}

/**
 * Checks the links of `files` (paths relative to `root`). Returns every problem
 * found, in file and line order; none means every link resolves.
 */
export function checkLinks(root: string, files: readonly string[]): LinkProblem[] {
  const problems: LinkProblem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOfFile = (absolute: string) => {
    let anchors = anchorCache.get(absolute);
    if (!anchors) anchorCache.set(absolute, (anchors = anchorsOf(readFileSync(absolute, 'utf8'))));
    return anchors;
  };
  const rootResolved = path.resolve(root);

  for (const file of files) {
    const absoluteFile = path.resolve(rootResolved, file);
    for (const { line, target } of linksOf(readFileSync(absoluteFile, 'utf8'))) {
      const problem = (message: string) => problems.push({ file, line, target, message });
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        if (!/^(https?|mailto):/i.test(target)) problem('has a scheme other than http, https or mailto');
        else {
          const wrong = externalProblem(target);
          if (wrong) problem(wrong);
        }
        continue;
      }
      if (target.startsWith('//')) {
        problem('is protocol-relative; write https://');
        continue;
      }
      const hashAt = target.indexOf('#');
      const pathPart = (hashAt === -1 ? target : target.slice(0, hashAt)).replace(/\?.*$/, '');
      const anchor = hashAt === -1 ? undefined : target.slice(hashAt + 1);
      let targetFile = absoluteFile;
      if (pathPart) {
        if (pathPart.startsWith('/')) {
          problem('is an absolute path; write it relative to the page');
          continue;
        }
        let decoded: string;
        try {
          decoded = decodeURIComponent(pathPart);
        } catch {
          problem('has a malformed %-escape');
          continue;
        }
        targetFile = path.resolve(path.dirname(absoluteFile), decoded);
        if (targetFile !== rootResolved && !targetFile.startsWith(rootResolved + path.sep)) {
          problem('leaves the repository');
          continue;
        }
        if (!existsSync(targetFile)) {
          problem(`names ${path.relative(rootResolved, targetFile)}, which does not exist`);
          continue;
        }
      }
      if (anchor === undefined) continue;
      if (!anchor) {
        problem('has an empty #anchor');
        continue;
      }
      if (statSync(targetFile).isDirectory() || !/\.(md|markdown)$/i.test(targetFile)) {
        problem(`has an #anchor into ${path.relative(rootResolved, targetFile)}, which is not a Markdown page`);
        continue;
      }
      let wanted: string;
      try {
        wanted = decodeURIComponent(anchor);
      } catch {
        problem('has a malformed %-escape in its #anchor');
        continue;
      }
      if (!anchorsOfFile(targetFile).has(wanted)) {
        problem(`names #${wanted}, which no heading of ${path.relative(rootResolved, targetFile)} has`);
      }
    }
  }
  return problems;
}
