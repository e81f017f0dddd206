import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * The TypeScript and JavaScript code blocks of a Markdown file, each with what the HTML comments just
 * above it say about it. Readers see only the block; the comments are for the suite:
 *
 *     <!-- snippet: run -->                     also run it (against the suite's memcached), and it must exit by itself
 *     <!-- snippet: map cache-manager=cache-manager5 -->   check it against another install of a package
 *     <!-- snippet: nest10 -->                  check it against Nest 10 (packages/nestjs/test/nest10)
 *     <!-- snippet-prelude
 *     import { Module } from '@nestjs/common';
 *     declare const app: import('express').Express;
 *     -->                                       code the block assumes, checked with it but not shown
 *
 * Every other block is type-checked as it stands, as an ES module of its own.
 */
export interface Snippet {
  /** `packages/core/README.md:12`, the line of the opening fence. */
  readonly where: string;
  readonly file: string;
  /** 1-based line of the block's first code line. */
  readonly line: number;
  readonly language: 'ts' | 'js';
  readonly code: string;
  readonly prelude: string;
  readonly run: boolean;
  readonly nest10: boolean;
  /** Import specifiers to rewrite before checking: `cache-manager` → `cache-manager5`. */
  readonly map: ReadonlyMap<string, string>;
}

const FENCE = /^( *)```(ts|typescript|js|javascript|mjs)\b[^\n]*\n([\s\S]*?)^\1```/gm;
/** HTML comments, possibly several, with only blank lines between them and the fence. */
const COMMENTS_BEFORE = /((?:<!--(?:(?!-->)[\s\S])*-->\s*)+)$/;

export function snippetsOf(file: string, displayName = file): Snippet[] {
  const text = readFileSync(file, 'utf8');
  const snippets: Snippet[] = [];
  for (const match of text.matchAll(FENCE)) {
    const start = match.index;
    const fenceLine = text.slice(0, start).split('\n').length;
    const comments = COMMENTS_BEFORE.exec(text.slice(0, start))?.[1] ?? '';
    let prelude = '';
    let run = false;
    let nest10 = false;
    const map = new Map<string, string>();
    for (const [, body] of comments.matchAll(/<!--([\s\S]*?)-->/g)) {
      const trimmed = body!.trim();
      if (trimmed.startsWith('snippet-prelude')) {
        prelude += `${trimmed.slice('snippet-prelude'.length).trim()}\n`;
        continue;
      }
      if (!trimmed.startsWith('snippet:')) continue;
      const words = trimmed.slice('snippet:'.length).trim().split(/\s+/);
      for (let i = 0; i < words.length; i++) {
        const word = words[i]!;
        if (word === 'run') run = true;
        else if (word === 'nest10') nest10 = true;
        else if (word === 'map') {
          const [from, to] = (words[++i] ?? '').split('=');
          if (!from || !to) throw new Error(`${displayName}:${fenceLine}: "map" wants from=to`);
          map.set(from, to);
        } else throw new Error(`${displayName}:${fenceLine}: unknown snippet directive "${word}"`);
      }
    }
    const language = match[2] === 'ts' || match[2] === 'typescript' ? 'ts' : 'js';
    snippets.push({
      where: `${displayName}:${fenceLine}`,
      file: displayName,
      line: fenceLine + 1,
      language,
      code: match[3]!,
      prelude,
      run,
      nest10,
      map,
    });
  }
  return snippets;
}

/** The snippet's module as checked: prelude, then the block with its imports mapped. */
export function moduleOf(snippet: Snippet): { source: string; firstCodeLine: number } {
  let code = snippet.code;
  for (const [from, to] of snippet.map) {
    code = code
      .replaceAll(`from '${from}'`, `from '${to}'`)
      .replaceAll(`import('${from}')`, `import('${to}')`);
  }
  const prelude = snippet.prelude === '' ? '' : snippet.prelude;
  // `export {}` makes a block without imports a module too, so blocks never share a scope.
  const source = `${prelude}${code}\nexport {};\n`;
  return { source, firstCodeLine: prelude.split('\n').length };
}

/** The snippet as JavaScript a Node of any supported version runs (`.mjs`): types stripped, nothing else. */
export function runnableSource(snippet: Snippet): string {
  return ts.transpileModule(moduleOf(snippet).source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

/** The root README and every package's and example's README under `root`, relative to it. */
export function readmeFiles(root: string): string[] {
  const inFolders = (folder: string) =>
    readdirSync(join(root, folder), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${folder}/${entry.name}/README.md`);
  return ['README.md', ...inFolders('packages'), ...inFolders('examples')].filter((file) =>
    existsSync(join(root, file)),
  );
}

/** The blocks of the root README and of every package's and example's README under `root`. */
export function readmeSnippets(root: string): Snippet[] {
  return readmeFiles(root).flatMap((file) => snippetsOf(join(root, file), file));
}

/** The blocks of other languages a README shows as data or code: JSON must parse, Python must compile. */
export function otherBlocks(root: string, language: 'json' | 'python'): { where: string; code: string }[] {
  const fence = new RegExp(`^( *)\`\`\`${language}\\b[^\\n]*\\n([\\s\\S]*?)^\\1\`\`\``, 'gm');
  return readmeFiles(root).flatMap((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    return [...text.matchAll(fence)].map((match) => ({
      where: `${file}:${text.slice(0, match.index).split('\n').length}`,
      code: match[2]!,
    }));
  });
}
