// Notes are Markdown written from outside text (captions, titles, model output),
// so they are rendered with raw HTML off, links limited to http(s), no images
// at all (a remote image would tell a third party who reads what), Obsidian
// callouts as <details>, [[wiki links]] to the student's own notes, and YouTube
// timestamps marked so the page can seek its player instead of leaving, and
// formulas ($...$, $$...$$) typeset by KaTeX, which is loaded only for notes that
// have one (see "Formulas" below).
/// <reference types="vite/client" />
import markdownIt from "markdown-it";
import type { MarkdownIt, StateBlock, StateCore, StateInline, Token } from "markdown-it";
import type KatexModule from "katex";

export interface FrontMatter {
  [key: string]: string | string[] | undefined;
}

export interface RenderEnv {
  [key: string]: unknown;
  /** The note id of a [[link]] target (a title or its file name), or null. */
  resolve: (target: string) => string | null;
}

/** Split `---` front matter (simple `key: value` lines, as docs/DESIGN.md section 7 writes them). */
export function splitFrontMatter(markdown: string): { meta: FrontMatter; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(markdown);
  if (!match) return { meta: {}, body: markdown };
  const meta: FrontMatter = {};
  for (const line of match[1].split(/\r?\n/)) {
    const pair = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (!pair) continue;
    meta[pair[1]] = parseValue(pair[2].trim());
  }
  return { meta, body: markdown.slice(match[0].length) };
}

function parseValue(raw: string): string | string[] {
  if (raw.startsWith('"')) {
    try {
      return String(JSON.parse(raw));
    } catch {
      return raw.replace(/^"|"$/g, "");
    }
  }
  if (raw.startsWith("'") && raw.endsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw.startsWith("[") && raw.endsWith("]")) {
    return raw.slice(1, -1).split(",").map((item) => String(parseValue(item.trim()))).filter(Boolean);
  }
  return raw;
}

/** A YouTube link's video id and start second, if it is one. */
export function youtubeTimestamp(href: string): { id: string; seconds: number } | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  const host = url.hostname.replace(/^(www|m)\./, "");
  let id: string | null = null;
  if (host === "youtube.com" && url.pathname === "/watch") id = url.searchParams.get("v");
  else if (host === "youtu.be") id = url.pathname.slice(1);
  const t = url.searchParams.get("t");
  if (!id || !/^[A-Za-z0-9_-]{11}$/.test(id) || t === null) return null;
  const seconds = /^(\d+)s?$/.exec(t);
  return seconds ? { id, seconds: Number(seconds[1]) } : null;
}

/** What a title looks like as a file name, for `[[File Name|Title]]` targets. */
export function linkKey(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
}

const SAFE_URL = /^https?:\/\/[^\s]+$/i;

function wikilinkRule(state: StateInline, silent: boolean): boolean {
  const start = state.pos;
  const src = state.src;
  if (src.charCodeAt(start) !== 0x5b || src.charCodeAt(start + 1) !== 0x5b) return false;
  const end = src.indexOf("]]", start + 2);
  if (end < 0) return false;
  const inner = src.slice(start + 2, end);
  if (!inner.trim() || inner.includes("\n") || inner.includes("[")) return false;
  if (!silent) {
    const [target, label] = inner.split("|", 2);
    const token = state.push("wikilink", "", 0);
    token.meta = { target: target.trim(), label: (label ?? target).trim() };
  }
  state.pos = end + 2;
  return true;
}

const CALLOUT = /^\[!([A-Za-z][\w-]*)\]([+-]?)[ \t]*/;

function calloutRule(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const open = tokens[i];
    if (open.type !== "blockquote_open") continue;
    const paraOpen = tokens[i + 1];
    const inline = tokens[i + 2];
    if (paraOpen?.type !== "paragraph_open" || inline?.type !== "inline") continue;
    const marker = CALLOUT.exec(inline.content);
    const children = inline.children ?? [];
    if (!marker || children[0]?.type !== "text") continue;
    // The matching close at the same nesting level.
    let depth = 0;
    let closeAt = -1;
    for (let j = i; j < tokens.length; j++) {
      if (tokens[j].type === "blockquote_open") depth++;
      if (tokens[j].type === "blockquote_close" && --depth === 0) {
        closeAt = j;
        break;
      }
    }
    if (closeAt < 0) continue;
    const kind = marker[1].toLowerCase();
    const fold = marker[2];
    children[0].content = children[0].content.replace(CALLOUT, "");
    const breakAt = children.findIndex((child) => child.type === "softbreak" || child.type === "hardbreak");
    const titleChildren = breakAt < 0 ? children : children.slice(0, breakAt);
    const bodyChildren = breakAt < 0 ? [] : children.slice(breakAt + 1);

    open.type = "callout_open";
    open.meta = { kind, fold };
    tokens[closeAt].type = "callout_close";
    tokens[closeAt].meta = { kind, fold };

    const make = (type: string, tag: string, nesting: 1 | 0 | -1): Token => {
      const token = new state.Token(type, tag, nesting);
      token.meta = { kind, fold };
      return token;
    };
    const titleInline = make("inline", "", 0);
    titleInline.children = titleChildren;
    titleInline.content = "";
    const replacement: Token[] = [make("callout_title_open", "", 1), titleInline, make("callout_title_close", "", -1)];
    if (bodyChildren.length) {
      const bodyInline = make("inline", "", 0);
      bodyInline.children = bodyChildren;
      bodyInline.content = "";
      replacement.push(make("paragraph_open", "p", 1), bodyInline, make("paragraph_close", "p", -1));
    }
    tokens.splice(i + 1, 3, ...replacement);
  }
}

// --- Formulas -------------------------------------------------------------------------
//
// Delimiters as Obsidian reads them (Pandoc's rules):
// - `$...$` is an inline formula when the opening `$` is followed by a non-space and
//   the closing `$` is preceded by a non-space and not followed by a digit, so
//   "costs $5 and $10", "$5-$10" and "$ 5" stay text. It may not be empty.
// - `$$...$$` is a display formula: as a block (a line starting with `$$`, up to a
//   line ending with `$$`, no blank line in between: TeX allows none in math), or
//   inside a paragraph ("so $$E = mc^2$$ holds"). An unmatched `$$` is text.
// - `\$` is a literal dollar outside formulas (Markdown's escape); inside one, `\$`
//   is TeX's dollar and does not close it.
// - Code spans and code blocks keep their dollars: their rules take the text first.
// - A formula longer than MAX_FORMULA characters is shown as its source, untypeset.
// The searches for a closing delimiter remember their last answer per paragraph
// (per document for blocks), as markdown-it does for backticks, so a note full of
// unmatched `$` is still parsed in linear time.
//
// KaTeX runs with trust off (no \href, \url, \includegraphics, \htmlClass...),
// bounded sizes and macro expansion, and throws on a bad formula, which is then shown
// as its escaped source. Its markup carries inline `style` attributes, which the
// Content-Security-Policy (style-src 'self') refuses in HTML; they are renamed to
// data-katex-style here and applied through the CSSOM (which the policy allows) by
// applyMathStyles() once the HTML is in the page.
//
// KaTeX is fetched (loadMath) only when a note has a formula: its script is about
// 78 kB gzipped, over half the rest of the app, for pages and notes that mostly have
// none. Until it arrives, or if it cannot, formulas show their source.

const DOLLAR = 0x24;
const BACKSLASH = 0x5c;
const MAX_FORMULA = 2000;
const KATEX_OPTIONS = {
  throwOnError: true, // caught below: a bad formula shows its source, escaped
  trust: false,
  strict: "ignore",
  output: "htmlAndMathml", // MathML for screen readers
  maxSize: 20, // em: \rule, \kern, \raisebox... cannot cover the page
  maxExpand: 500, // macro expansions per formula
} as const;
const UNSAFE_CSS = /url\s*\(|image-set|expression\s*\(|@import|\\|javascript:/i;

let katex: typeof KatexModule | null = null;
let loading: Promise<boolean> | null = null;
const typeset = new Map<string, string>();

/** Loads KaTeX and its stylesheet (a chunk of their own); false if that failed. */
export function loadMath(): Promise<boolean> {
  loading ??= Promise.all([import("katex"), import("katex/dist/katex.min.css")])
    .then(([module]) => {
      katex = module.default;
      return true;
    })
    .catch(() => {
      loading = null; // the next note tries again
      return false;
    });
  return loading;
}

export function mathLoaded(): boolean {
  return katex !== null;
}

/** Whether a note body has a formula (only then is KaTeX worth loading). */
export function hasFormulas(body: string): boolean {
  if (!body.includes("$")) return false;
  instance ??= build();
  return instance.parse(body, {}).some((token) =>
    token.type === "math_block" || (token.children ?? []).some((child) => child.type.startsWith("math_")));
}

/** Gives the typeset formulas under root their styles (see above). */
export function applyMathStyles(root: ParentNode): void {
  for (const node of root.querySelectorAll<Element & ElementCSSInlineStyle>("[data-katex-style]")) {
    const css = node.getAttribute("data-katex-style") ?? "";
    node.removeAttribute("data-katex-style");
    if (!UNSAFE_CSS.test(css)) node.style.cssText = css;
  }
}

function formula(tex: string, display: boolean, tag: "span" | "div", source: string, escape: (s: string) => string): string {
  const kind = display ? "math math-display" : "math math-inline";
  if (tex.length > MAX_FORMULA) return `<${tag} class="math-source">${escape(source)}</${tag}>`;
  if (!katex) return `<${tag} class="${kind} math-pending">${escape(source)}</${tag}>`;
  const key = `${display ? "D" : "I"}${tex}`;
  let html = typeset.get(key);
  if (html === undefined) {
    try {
      // KaTeX escapes every text and attribute value (`"` included), so ` style="` only
      // ever starts one of its own style attributes.
      html = katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: display })
        .replace(/ style="/g, ' data-katex-style="');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return `<${tag} class="math-error" title="${escape(message)}">${escape(source)}</${tag}>`;
    }
    if (typeset.size >= 1000) typeset.clear();
    typeset.set(key, html);
  }
  return `<${tag} class="${kind}">${html}</${tag}>`;
}

/** An odd run of backslashes just before pos escapes the character there. */
function escapedAt(src: string, pos: number): boolean {
  let count = 0;
  while (pos - count > 0 && src.charCodeAt(pos - count - 1) === BACKSLASH) count++;
  return count % 2 === 1;
}

function isSpaceAt(src: string, pos: number): boolean {
  return pos < 0 || pos >= src.length || /\s/.test(src[pos]);
}

function isDigitAt(src: string, pos: number): boolean {
  const code = src.charCodeAt(pos);
  return code >= 0x30 && code <= 0x39;
}

/** The first position in [from, max) where test holds, or -1; remembers its last search. */
class Finder {
  private from = -1;
  private to = -1;
  private found = -1;

  constructor(private readonly test: (src: string, pos: number) => boolean) {}

  find(src: string, from: number, max: number): number {
    let pos = from;
    if (this.from >= 0 && this.from <= from) {
      // Nothing in [this.from, this.found), or in [this.from, this.to) if nothing was found.
      if (this.found >= from) return this.found < max ? this.found : -1;
      if (this.found < 0) {
        if (max <= this.to) return -1;
        pos = Math.max(from, this.to);
      }
    }
    while (pos < max && !this.test(src, pos)) pos++;
    this.from = from;
    this.found = pos < max ? pos : -1;
    this.to = max;
    return this.found;
  }
}

const closesInline = (src: string, pos: number): boolean =>
  src.charCodeAt(pos) === DOLLAR && !isSpaceAt(src, pos - 1) && !isDigitAt(src, pos + 1) && !escapedAt(src, pos);
const closesDisplay = (src: string, pos: number): boolean =>
  src.charCodeAt(pos) === DOLLAR && src.charCodeAt(pos + 1) === DOLLAR && !escapedAt(src, pos);

// One pair per paragraph being parsed (link labels reparse parts of it with the same state).
const inlineFinders = new WeakMap<StateInline, { single: Finder; double: Finder }>();

function mathInlineRule(state: StateInline, silent: boolean): boolean {
  const src = state.src;
  const start = state.pos;
  const max = state.posMax;
  if (src.charCodeAt(start) !== DOLLAR) return false;
  let finders = inlineFinders.get(state);
  if (!finders) inlineFinders.set(state, (finders = { single: new Finder(closesInline), double: new Finder(closesDisplay) }));

  if (src.charCodeAt(start + 1) === DOLLAR) {
    const close = finders.double.find(src, start + 2, max - 1);
    if (close < 0 || !src.slice(start + 2, close).trim()) {
      // An unmatched `$$` is text (neither of its dollars opens a formula), and so is an
      // empty pair.
      const end = close < 0 ? start + 2 : close + 2;
      if (!silent) state.pending += src.slice(start, end);
      state.pos = end;
      return true;
    }
    if (!silent) {
      const token = state.push("math_inline_display", "span", 0);
      token.content = src.slice(start + 2, close);
      token.markup = "$$";
    }
    state.pos = close + 2;
    return true;
  }

  if (start + 1 >= max || isSpaceAt(src, start + 1)) return false;
  const close = finders.single.find(src, start + 2, max);
  if (close < 0) return false;
  if (!silent) {
    const token = state.push("math_inline", "span", 0);
    token.content = src.slice(start + 1, close);
    token.markup = "$";
  }
  state.pos = close + 1;
  return true;
}

interface BlockSearch {
  from: number;
  stop: number; // the closing line, or the line where the search gave up
  closed: boolean;
  endLine: number;
  blkIndent: number;
  parentType: string;
}

const blockSearches = new WeakMap<StateBlock, BlockSearch>();

/** A line's text within the current block (after its indent and markers), trailing spaces cut. */
function lineText(state: StateBlock, line: number): string {
  return state.src.slice(state.bMarks[line] + state.tShift[line], state.eMarks[line]).trimEnd();
}

function endsDisplay(text: string): boolean {
  return text.endsWith("$$") && !escapedAt(text, text.length - 2);
}

/** The line that closes a display formula opened on line `from`, or -1. */
function closingLine(state: StateBlock, from: number, endLine: number): number {
  const last = blockSearches.get(state);
  if (last && last.from <= from && from < last.stop && last.endLine === endLine
      && last.blkIndent === state.blkIndent && last.parentType === state.parentType) {
    return last.closed ? last.stop : -1; // the same lines lie between
  }
  let line = from + 1;
  let closed = false;
  for (; line < endLine; line++) {
    if (state.isEmpty(line) || state.sCount[line] < state.blkIndent) break;
    if (endsDisplay(lineText(state, line))) {
      closed = true;
      break;
    }
  }
  blockSearches.set(state, { from, stop: line, closed, endLine, blkIndent: state.blkIndent, parentType: state.parentType });
  return closed ? line : -1;
}

function mathBlockRule(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  if (state.sCount[startLine] - state.blkIndent >= 4) return false;
  const first = lineText(state, startLine);
  if (first.charCodeAt(0) !== DOLLAR || first.charCodeAt(1) !== DOLLAR) return false;
  const rest = first.slice(2);
  let tex: string;
  let closeLine = startLine;
  const within = new Finder(closesDisplay).find(rest, 0, rest.length - 1);
  if (within >= 0) {
    // `$$ ... $$` on one line; with more text after it, it belongs to a paragraph.
    if (within !== rest.length - 2 || !rest.slice(0, within).trim()) return false;
    tex = rest.slice(0, within);
  } else {
    closeLine = closingLine(state, startLine, endLine);
    if (closeLine < 0) return false;
    const middle = state.getLines(startLine + 1, closeLine, state.sCount[startLine], false);
    tex = [rest, middle, lineText(state, closeLine).slice(0, -2)].filter((part) => part.trim()).join("\n");
    if (!tex.trim()) return false;
  }
  if (silent) return true;
  const token = state.push("math_block", "div", 0);
  token.content = tex;
  token.markup = "$$";
  token.block = true;
  token.map = [startLine, closeLine + 1];
  state.line = closeLine + 1;
  return true;
}

function build(): MarkdownIt {
  const md = markdownIt({ html: false, linkify: false, typographer: false });
  const escape = md.utils.escapeHtml;
  md.validateLink = (url: string) => SAFE_URL.test(url.trim());
  md.inline.ruler.before("link", "wikilink", wikilinkRule);
  md.inline.ruler.after("escape", "math_inline", mathInlineRule);
  md.block.ruler.before("fence", "math_block", mathBlockRule, { alt: ["paragraph", "reference", "blockquote", "list"] });
  md.core.ruler.push("callouts", calloutRule);

  md.renderer.rules.math_inline = (tokens, idx) =>
    formula(tokens[idx].content, false, "span", `$${tokens[idx].content}$`, escape);
  md.renderer.rules.math_inline_display = (tokens, idx) =>
    formula(tokens[idx].content, true, "span", `$$${tokens[idx].content}$$`, escape);
  md.renderer.rules.math_block = (tokens, idx) =>
    `${formula(tokens[idx].content, true, "div", `$$\n${tokens[idx].content}\n$$`, escape)}\n`;

  md.renderer.rules.wikilink = (tokens, idx, _options, env) => {
    const { target, label } = tokens[idx].meta as { target: string; label: string };
    const noteId = (env as unknown as RenderEnv).resolve(target.split("#")[0]);
    if (!noteId) return `<span class="wikilink missing" title="No note with this title yet">${escape(label)}</span>`;
    return `<a class="wikilink" href="/notes/${encodeURIComponent(noteId)}" data-note-id="${escape(noteId)}">${escape(label)}</a>`;
  };
  md.renderer.rules.image = (tokens, idx) => {
    const alt = tokens[idx].content || "image";
    return `<span class="image-omitted">[image: ${escape(alt)}]</span>`;
  };
  md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
    const token = tokens[idx];
    const href = String(token.attrGet("href") ?? "");
    const stamp = youtubeTimestamp(href);
    if (stamp) {
      token.attrJoin("class", "timestamp");
      token.attrSet("data-seconds", String(stamp.seconds));
      token.attrSet("data-video", stamp.id);
    }
    token.attrSet("target", "_blank");
    token.attrSet("rel", "noopener noreferrer");
    return self.renderToken(tokens, idx, options);
  };
  md.renderer.rules.callout_open = (tokens, idx) => {
    const { kind, fold } = tokens[idx].meta as { kind: string; fold: string };
    const cls = `callout callout-${escape(kind)}`;
    return fold ? `<details class="${cls}"${fold === "+" ? " open" : ""}>` : `<aside class="${cls}">`;
  };
  md.renderer.rules.callout_close = (tokens, idx) => ((tokens[idx].meta as { fold: string }).fold ? "</details>\n" : "</aside>\n");
  md.renderer.rules.callout_title_open = (tokens, idx) =>
    (tokens[idx].meta as { fold: string }).fold ? "<summary>" : `<p class="callout-title">`;
  md.renderer.rules.callout_title_close = (tokens, idx) =>
    (tokens[idx].meta as { fold: string }).fold ? "</summary>\n" : "</p>\n";
  return md;
}

let instance: MarkdownIt | null = null;

/** The note as HTML: formulas typeset once loadMath() has resolved, shown as their source before. */
export function renderNote(body: string, env: RenderEnv): string {
  instance ??= build();
  return instance.render(body, { ...env });
}
