// The reply-checker page: checks the draft through /v1/score (with suggestions) as the agent types,
// highlights the findings, explains them on hover and keyboard focus, and applies fixes.
// Offsets from the API are Python code points; JavaScript strings index UTF-16 units (emoji differ).
"use strict";

(() => {
  const DEBOUNCE_MS = 300;
  const KEY_STORAGE = "replyscore.apiKey";
  const SEVERITY_RANK = { error: 0, warning: 1, info: 2 };
  const TONE_NAMES = { positive: "позитивный", neutral: "нейтральный", negative: "негативный" };
  const CONTRIBUTION_NAMES = {
    tone_positive: "Позитивный тон",
    tone_negative: "Негативный тон",
    extra_apology: "Лишние извинения",
    negation_density: "Отрицания",
    vague: "Размытые формулировки",
    no_deadline: "Обещания без срока",
    deadline: "Назван конкретный срок",
    policy_violation: "Нарушения правил площадки",
    style: "Капс, «!!!», смайлики",
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $("service-status"),
    keyBox: $("key-box"),
    key: $("api-key"),
    customer: $("customer"),
    orderId: $("order-id"),
    orderStatus: $("order-status"),
    draft: $("draft"),
    highlights: $("highlights"),
    counter: $("counter"),
    preview: $("preview"),
    summary: $("summary"),
    gauge: $("gauge"),
    cssValue: $("css-value"),
    contributions: $("contributions"),
    tone: $("tone"),
    suggestions: $("suggestions"),
    tooltips: $("tooltips"),
    live: $("live"),
  };

  const state = {
    seq: 0,
    timer: null,
    controller: null,
    report: null, // the last report, for the text in `checked`
    checked: null,
    clusters: [],
    fix: null,
    categories: null, // id -> {name, policy}, from /v1/rules
    refocus: null, // after a keyboard fix: focus this finding once the new report is in
    announced: "",
    openTip: null,
  };

  // -- small helpers ---------------------------------------------------------------------------------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function plural(n, one, few, many) {
    const t = n % 100;
    const u = n % 10;
    if (t >= 11 && t <= 14) return many;
    if (u === 1) return one;
    if (u >= 2 && u <= 4) return few;
    return many;
  }

  function findingsPhrase(n) {
    return n === 0 ? "замечаний нет" : `${n} ${plural(n, "замечание", "замечания", "замечаний")}`;
  }

  function formatScore(x) {
    return x.toFixed(1).replace(".", ",");
  }

  function scoreClass(x) {
    return x >= 3.5 ? "good" : x >= 2.5 ? "fair" : "poor";
  }

  // utf16[i] = the UTF-16 index of code point i; one more entry for the end of the text
  function codePointIndex(text) {
    const out = [0];
    let at = 0;
    for (const ch of text) {
      at += ch.length;
      out.push(at);
    }
    return out;
  }

  function announce(message) {
    if (message === state.announced) return;
    state.announced = message;
    ui.live.textContent = message;
  }

  function headers() {
    const h = { "Content-Type": "application/json" };
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) h["X-API-Key"] = key;
    return h;
  }

  // -- the service -----------------------------------------------------------------------------------

  async function watchReadiness() {
    for (;;) {
      try {
        const r = await fetch("readyz");
        const body = await r.json();
        if (body.status === "ready") {
          const rulesOnly = body.model_version === "rules-only";
          ui.status.textContent = rulesOnly ? "Только правила" : `Модель ${body.model_version}`;
          ui.status.className = "pill ready";
          ui.status.title = rulesOnly ? "Тон не оценивается: сервис запущен без языковой модели" : "";
          loadCategories(); // also tells whether the service wants a key
          return;
        }
        if (body.status === "failed") {
          ui.status.textContent = "Модель не загрузилась";
          ui.status.className = "pill failed";
          return;
        }
        ui.status.textContent = "Модель загружается…";
      } catch {
        ui.status.textContent = "Сервис недоступен";
        ui.status.className = "pill failed";
      }
      await new Promise((done) => setTimeout(done, 1000));
    }
  }

  async function loadCategories() {
    if (state.categories) return;
    try {
      const r = await fetch("v1/rules", { headers: headers() });
      if (r.status === 401) askForKey();
      if (!r.ok) return;
      const listing = await r.json();
      state.categories = Object.fromEntries(listing.categories.map((c) => [c.id, c]));
      if (state.report) render(); // names instead of ids in the explanations
    } catch {
      // the explanations fall back to category ids
    }
  }

  function askForKey() {
    ui.keyBox.open = true;
    // take the focus only when nothing holds it: never from a field the agent is typing in
    if (!document.activeElement || document.activeElement === document.body) ui.key.focus();
  }

  function requestBody(text) {
    const body = { text, suggest: true };
    const message = ui.customer.value.trim();
    if (message) body.customer_message = message;
    const context = {};
    const orderId = ui.orderId.value.trim();
    if (orderId) context.order_id = orderId;
    if (ui.orderStatus.value) context.status = ui.orderStatus.value;
    if (Object.keys(context).length) body.context = context;
    return body;
  }

  function schedule(delay = DEBOUNCE_MS) {
    clearTimeout(state.timer);
    state.timer = setTimeout(check, delay);
  }

  async function check() {
    const text = ui.draft.value;
    const seq = ++state.seq;
    if (state.controller) state.controller.abort();
    if (!text.trim()) {
      state.controller = null;
      clearResults();
      return;
    }
    const controller = new AbortController();
    state.controller = controller;
    document.body.classList.add("busy");
    ui.summary.textContent = "Проверяю…";
    ui.summary.className = "muted";
    try {
      const r = await fetch("v1/score", {
        method: "POST",
        headers: headers(),
        body: JSON.stringify(requestBody(text)),
        signal: controller.signal,
      });
      const body = await r.json().catch(() => ({}));
      if (seq !== state.seq || text !== ui.draft.value) return; // a newer check is on its way
      if (r.ok) {
        state.report = body;
        state.checked = text;
        render();
        loadCategories();
      } else if (r.status === 401) {
        showProblem("Сервис требует API-ключ: введите его вверху страницы.");
        askForKey();
      } else if (r.status === 503) {
        showProblem(body.detail && body.detail.includes("loading") ? "Модель загружается…" : "Сервис занят…");
        schedule(1000 * (Number(r.headers.get("Retry-After")) || 1));
      } else {
        showProblem(body.detail || `Ошибка ${r.status}`);
      }
    } catch (error) {
      if (error.name !== "AbortError" && seq === state.seq) showProblem("Сервис недоступен.");
    } finally {
      if (seq === state.seq) document.body.classList.remove("busy");
    }
  }

  // -- rendering -------------------------------------------------------------------------------------

  function clusterMatches(text, matches) {
    // Overlapping findings (the same words can break two rules) share one highlight.
    const at = codePointIndex(text);
    const spans = matches
      .map((m) => ({ start: at[m.offset], end: at[m.offset + m.length], m }))
      .filter((s) => s.end > s.start)
      .sort((a, b) => a.start - b.start || b.end - a.end);
    const clusters = [];
    for (const s of spans) {
      const last = clusters[clusters.length - 1];
      if (last && s.start < last.end) {
        last.end = Math.max(last.end, s.end);
        last.matches.push(s.m);
      } else {
        clusters.push({ start: s.start, end: s.end, matches: [s.m], at });
      }
    }
    for (const c of clusters) {
      c.matches.sort((a, b) => SEVERITY_RANK[a.rule.severity] - SEVERITY_RANK[b.rule.severity]);
      c.severity = c.matches[0].rule.severity;
      c.action = actionOf(c);
    }
    return clusters;
  }

  function actionOf(cluster) {
    const m = cluster.matches.find((x) => x.replacements.length);
    if (m) {
      const [start, end] = [cluster.at[m.offset], cluster.at[m.offset + m.length]];
      const replacement = m.replacements[0];
      const label = replacement ? `заменить на «${replacement}»` : "удалить";
      return { kind: "replace", start, end, text: replacement, label };
    }
    if (state.fix) return { kind: "fix", label: "применить исправленный черновик целиком" };
    return null;
  }

  function categoryName(id) {
    return state.categories && state.categories[id] ? state.categories[id].name : id;
  }

  function segments(text, clusters, makeMark) {
    const parts = [];
    let pos = 0;
    clusters.forEach((c, i) => {
      if (c.start > pos) parts.push(document.createTextNode(text.slice(pos, c.start)));
      parts.push(makeMark(c, i, text.slice(c.start, c.end)));
      pos = c.end;
    });
    if (pos < text.length) parts.push(document.createTextNode(text.slice(pos)));
    return parts;
  }

  function renderHighlights() {
    const text = ui.draft.value;
    const current = state.report && state.checked === text;
    const clusters = current ? state.clusters : [];
    const parts = segments(text, clusters, (c, i, slice) =>
      el("mark", { class: `hl sev-${c.severity}`, "data-cluster": String(i) }, slice),
    );
    // a final newline needs a character after it, or the mirror is one line short
    ui.highlights.replaceChildren(...parts, document.createTextNode("\u200b"));
    syncScroll();
  }

  function renderTooltips() {
    hideTip();
    const tips = state.clusters.map((c, i) => {
      const tip = el("div", { class: "tooltip", role: "tooltip", id: `tip-${i}`, hidden: "" });
      for (const m of c.matches) {
        const policy = state.categories && state.categories[m.rule.category]?.policy;
        tip.append(
          el(
            "div",
            { class: "tip-item" },
            el("span", { class: `tip-category sev-${m.rule.severity}`, text: categoryName(m.rule.category) }),
            policy ? el("span", { class: "tip-flag", text: "правила площадки" }) : "",
            el("p", { class: "tip-message", text: m.message }),
          ),
        );
      }
      const action = c.action ? `Enter или щелчок — ${c.action.label}` : "Исправьте вручную";
      tip.append(el("p", { class: "tip-action", text: action }));
      return tip;
    });
    ui.tooltips.replaceChildren(...tips);
  }

  function renderPreview() {
    const { report, checked } = state;
    const parts = segments(checked, state.clusters, (c, i, slice) =>
      el(
        "mark",
        {
          class: `finding sev-${c.severity}`,
          tabindex: "0",
          role: "button",
          "aria-describedby": `tip-${i}`,
          "data-cluster": String(i),
        },
        slice,
      ),
    );
    ui.preview.replaceChildren(el("p", { class: "preview-text" }, ...parts));
    ui.preview.dataset.state = "current";
    const n = report.matches.length;
    const policy = report.matches.filter((m) => state.categories?.[m.rule.category]?.policy).length;
    ui.summary.textContent = findingsPhrase(n) + (policy ? ` · нарушений правил площадки: ${policy}` : "");
    ui.summary.className = n ? "muted" : "ok-text";
    announce(`Проверено: ${findingsPhrase(n)}.`);
  }

  function renderScore() {
    const { css, tone, signals } = state.report;
    const score = css.score;
    ui.gauge.style.setProperty("--p", String((score - 1) / 4));
    ui.gauge.dataset.level = scoreClass(score);
    ui.gauge.setAttribute("aria-valuenow", String(score));
    ui.gauge.setAttribute("aria-valuetext", `${formatScore(score)} из 5`);
    ui.cssValue.textContent = formatScore(score);
    const top = css.contributions.filter((c) => c.delta !== 0).slice(0, 4);
    ui.contributions.replaceChildren(
      ...top.map((c) =>
        el(
          "li",
          { class: c.delta > 0 ? "up" : "down" },
          el("span", { text: CONTRIBUTION_NAMES[c.signal] || c.signal }),
          el("span", { class: "delta", text: `${c.delta > 0 ? "+" : "−"}${formatScore(Math.abs(c.delta))}` }),
        ),
      ),
    );
    renderTone(tone, signals);
  }

  function renderTone(tone, signals) {
    const facts = el(
      "p",
      { class: "muted small" },
      `${signals.words} ${plural(signals.words, "слово", "слова", "слов")} · извинений: ${signals.apology.count}` +
        ` · отрицаний: ${signals.negation.count} · обещаний без срока: ${signals.promises.without_deadline}`,
    );
    if (!tone) {
      ui.tone.replaceChildren(el("p", { class: "muted", text: "Не оценивается: сервис работает только по правилам." }), facts);
      return;
    }
    const best = tone[0];
    const bars = ["positive", "neutral", "negative"].map((label) => {
      const item = tone.find((t) => t.label === label) || { score: 0 };
      const pct = Math.round(item.score * 100);
      const bar = el("span", { class: `bar ${label}` });
      bar.style.setProperty("--w", `${pct}%`);
      return el(
        "li",
        {},
        el("span", { class: "bar-label", text: TONE_NAMES[label] }),
        el("span", { class: "bar-track", "aria-hidden": "true" }, bar),
        el("span", { class: "bar-value", text: `${pct}%` }),
      );
    });
    ui.tone.replaceChildren(
      el("p", { class: `tone-main ${best.label}`, text: `Преобладает ${TONE_NAMES[best.label] || best.label}` }),
      el("ul", { class: "bars", "aria-label": "Вероятности тона" }, ...bars),
      facts,
    );
  }

  function suggestionCard(s, i, current) {
    const title = s.kind === "fix" ? "Исправленный черновик" : `По шаблону: ${s.scenario?.title || s.template_id}`;
    const head = el("div", { class: "suggestion-head" }, el("h3", { id: `sugg-${i}`, text: title }));
    if (s.css_after != null) {
      const delta = s.css_after - current;
      const trend = delta > 0.05 ? " ▲" : delta < -0.05 ? " ▼" : "";
      head.append(
        el(
          "span",
          { class: `badge ${scoreClass(s.css_after)}`, title: "CSS предложенного ответа" },
          `CSS ${formatScore(s.css_after)}${trend}`,
        ),
      );
    }
    const apply = el("button", { type: "button", class: "apply", "aria-describedby": `sugg-${i}` }, "Применить");
    apply.addEventListener("click", () => applyText(s.text, "Черновик заменён предложенным ответом."));
    const card = el(
      "article",
      { class: `suggestion ${s.kind}`, "aria-labelledby": `sugg-${i}` },
      head,
      el("p", { class: "suggestion-text", text: s.text }),
    );
    if (s.kind === "rewrite") {
      card.append(el("p", { class: "muted small", text: `Шаблон ${s.template_id}, версия ${s.template_version}` }));
    }
    card.append(apply);
    return card;
  }

  function renderSuggestions() {
    const list = state.report.suggestions || [];
    const current = state.report.css.score;
    if (!list.length) {
      const clean = !state.report.matches.length;
      ui.suggestions.replaceChildren(
        el("p", { class: "muted", text: clean ? "Черновик можно отправлять как есть." : "Предложений нет." }),
      );
      return;
    }
    const cards = list.map((s, i) => suggestionCard(s, i, current));
    const fixes = cards.filter((_, i) => list[i].kind === "fix");
    const rewrites = cards.filter((_, i) => list[i].kind === "rewrite");
    const unsure = list.some((s) => s.kind === "rewrite" && s.scenario && !s.scenario.confident);
    const parts = [...fixes];
    if (unsure) {
      parts.push(el("p", { class: "note small", text: "Сценарий обращения определён неуверенно — проверьте, подходит ли шаблон." }));
    }
    if (rewrites.length) parts.push(rewrites[0]);
    if (rewrites.length > 1) {
      const more = el("details", { class: "more" }, el("summary", { text: `Другие сценарии (${rewrites.length - 1})` }));
      more.append(...rewrites.slice(1));
      parts.push(more);
    }
    ui.suggestions.replaceChildren(...parts);
  }

  function render() {
    state.fix = (state.report.suggestions || []).find((s) => s.kind === "fix") || null;
    state.clusters = clusterMatches(state.checked, state.report.matches);
    renderTooltips();
    renderHighlights();
    renderPreview();
    renderScore();
    renderSuggestions();
    if (state.refocus !== null) {
      const marks = ui.preview.querySelectorAll("mark.finding");
      const target = marks[Math.min(state.refocus, marks.length - 1)] || ui.draft;
      state.refocus = null;
      target.focus();
    }
  }

  function clearResults() {
    state.report = null;
    state.checked = null;
    state.clusters = [];
    renderTooltips();
    renderHighlights();
    ui.preview.replaceChildren(el("p", { class: "empty", text: "Начните печатать черновик — замечания появятся здесь." }));
    ui.preview.dataset.state = "empty";
    ui.summary.textContent = "";
    ui.gauge.style.setProperty("--p", "0");
    ui.gauge.dataset.level = "";
    ui.gauge.setAttribute("aria-valuenow", "1");
    ui.gauge.setAttribute("aria-valuetext", "нет оценки");
    ui.cssValue.textContent = "—";
    ui.contributions.replaceChildren();
    ui.tone.replaceChildren(el("p", { class: "muted", text: "—" }));
    ui.suggestions.replaceChildren(
      el("p", { class: "muted", text: "Исправленный черновик и ответ по шаблону появятся после проверки." }),
    );
    document.body.classList.remove("busy");
  }

  function showProblem(message) {
    ui.summary.textContent = message;
    ui.summary.className = "error-text";
    announce(message);
  }

  // -- tooltips ---------------------------------------------------------------------------------------

  function showTip(index, anchor) {
    const tip = $(`tip-${index}`);
    if (!tip) return;
    if (state.openTip && state.openTip !== tip) state.openTip.hidden = true;
    tip.hidden = false;
    state.openTip = tip;
    const rect = anchor.getBoundingClientRect();
    const box = tip.getBoundingClientRect();
    const left = Math.max(8, Math.min(rect.left, window.innerWidth - box.width - 8));
    const below = rect.bottom + 8;
    const top = below + box.height > window.innerHeight - 8 ? rect.top - box.height - 8 : below;
    tip.style.setProperty("left", `${left}px`);
    tip.style.setProperty("top", `${Math.max(8, top)}px`);
  }

  function hideTip() {
    if (state.openTip) state.openTip.hidden = true;
    state.openTip = null;
  }

  function markAt(x, y) {
    for (const mark of ui.highlights.querySelectorAll("mark")) {
      for (const r of mark.getClientRects()) {
        if (x >= r.left && x <= r.right && y >= r.top && y <= r.bottom) return mark;
      }
    }
    return null;
  }

  // -- applying fixes ---------------------------------------------------------------------------------

  function replaceRange(start, end, text) {
    const draft = ui.draft;
    draft.focus();
    draft.setSelectionRange(start, end);
    // execCommand keeps the edit on the textarea's undo stack (Ctrl+Z); setRangeText is the fallback
    const done = text ? document.execCommand("insertText", false, text) : document.execCommand("delete");
    if (!done) {
      draft.setRangeText(text, start, end, "end");
      draft.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function applyText(text, message) {
    replaceRange(0, ui.draft.value.length, text);
    announce(message);
    schedule(0);
  }

  function applyCluster(index, byKeyboard) {
    const cluster = state.clusters[index];
    if (!cluster || !cluster.action) return;
    if (ui.draft.value !== state.checked) {
      announce("Текст изменился — проверяю заново.");
      schedule(0);
      return;
    }
    hideTip();
    if (cluster.action.kind === "fix") {
      if (byKeyboard) state.refocus = index;
      applyText(state.fix.text, "Применён исправленный черновик.");
      return;
    }
    const { start, end, text } = cluster.action;
    if (byKeyboard) state.refocus = index;
    replaceRange(start, end, text);
    announce("Исправление применено.");
    schedule(0);
  }

  // -- events -----------------------------------------------------------------------------------------

  function syncScroll() {
    ui.highlights.parentElement.scrollTop = ui.draft.scrollTop;
  }

  function autoGrow() {
    ui.draft.style.setProperty("height", "auto");
    ui.draft.style.setProperty("height", `${ui.draft.scrollHeight + 2}px`);
  }

  function onDraftInput() {
    const n = [...ui.draft.value].length;
    ui.counter.textContent = `${n} ${plural(n, "символ", "символа", "символов")}`;
    autoGrow();
    if (state.report) ui.preview.dataset.state = "stale";
    renderHighlights(); // the old highlights would point at moved text
    schedule();
  }

  ui.draft.addEventListener("input", onDraftInput);
  ui.draft.addEventListener("scroll", syncScroll);
  for (const field of [ui.customer, ui.orderId]) field.addEventListener("input", () => schedule());
  ui.orderStatus.addEventListener("change", () => schedule(0));

  ui.key.value = sessionStorage.getItem(KEY_STORAGE) || "";
  ui.key.addEventListener("input", () => {
    const key = ui.key.value.trim();
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
    state.categories = null;
    schedule();
  });

  ui.preview.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.finding");
    if (mark) applyCluster(Number(mark.dataset.cluster), false);
  });
  ui.preview.addEventListener("keydown", (event) => {
    const mark = event.target.closest("mark.finding");
    if (!mark) return;
    const index = Number(mark.dataset.cluster);
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      applyCluster(index, true);
    } else if (event.key === "Escape") {
      hideTip();
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      const marks = [...ui.preview.querySelectorAll("mark.finding")];
      const next = marks[index + (event.key === "ArrowRight" ? 1 : -1)];
      if (next) {
        event.preventDefault();
        next.focus();
      }
    }
  });
  ui.preview.addEventListener("focusin", (event) => {
    const mark = event.target.closest("mark.finding");
    if (mark) showTip(Number(mark.dataset.cluster), mark);
  });
  ui.preview.addEventListener("focusout", hideTip);
  ui.preview.addEventListener("mouseover", (event) => {
    const mark = event.target.closest("mark.finding");
    if (mark) showTip(Number(mark.dataset.cluster), mark);
  });
  ui.preview.addEventListener("mouseout", (event) => {
    if (event.target.closest("mark.finding") && document.activeElement !== event.target) hideTip();
  });
  // hover over a highlight inside the draft itself: the marks lie under the textarea
  ui.draft.addEventListener("mousemove", (event) => {
    const mark = markAt(event.clientX, event.clientY);
    if (mark) showTip(Number(mark.dataset.cluster), mark);
    else if (state.openTip && !ui.preview.contains(document.activeElement)) hideTip();
  });
  ui.draft.addEventListener("mouseleave", () => {
    if (!ui.preview.contains(document.activeElement)) hideTip();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hideTip();
  });
  window.addEventListener("scroll", hideTip, { passive: true });

  onDraftInput();
  watchReadiness();
})();
