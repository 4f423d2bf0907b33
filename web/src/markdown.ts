// Notes are Markdown written from outside text (captions, titles, model output),
// so they are rendered with raw HTML off, links limited to http(s), no images
// at all (a remote image would tell a third party who reads what), Obsidian
// callouts as <details>, [[wiki links]] to the student's own notes, and YouTube
// timestamps marked so the page can seek its player instead of leaving.
import markdownIt from "markdown-it";
import type { MarkdownIt, StateCore, StateInline, Token } from "markdown-it";

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

function build(): MarkdownIt {
  const md = markdownIt({ html: false, linkify: false, typographer: false });
  const escape = md.utils.escapeHtml;
  md.validateLink = (url: string) => SAFE_URL.test(url.trim());
  md.inline.ruler.before("link", "wikilink", wikilinkRule);
  md.core.ruler.push("callouts", calloutRule);

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

export function renderNote(body: string, env: RenderEnv): string {
  instance ??= build();
  return instance.render(body, { ...env });
}
