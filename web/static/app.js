/*
 * app.js: the web console's page script. It draws every view from the JSON API
 * (docs/api.md) and sends the session's CSRF token in X-CSRF-Token with every request
 * that changes something. Text from outside (names from the HR file, product texts,
 * server messages) is only ever set with textContent, never as markup.
 */
"use strict";

const state = { me: null };

/* ---- helpers --------------------------------------------------------------------------- */

/* An element TAG with properties PROPS (class, text, type, value, ...) and CHILDREN. */
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function toast(text) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.classList.remove("hidden");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.add("hidden"), 3500);
}

/* Calls the API: METHOD PATH with BODY (an object as JSON, or a string of TYPE). Resolves
 * to {status, data}; 401 outside the login calls goes back to the login view. */
async function api(method, path, body, type) {
  const headers = {};
  if (method !== "GET" && state.me) headers["X-CSRF-Token"] = state.me.csrf;
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = type || "application/json";
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  const ct = r.headers.get("Content-Type") || "";
  const data = ct.startsWith("application/json") ? await r.json() : await r.text();
  if (r.status === 401 && state.me && !path.startsWith("/api/v1/code")) {
    state.me = null;
    showLogin();
  }
  return { status: r.status, data };
}

function message(res, fallback) {
  return (res.data && res.data.message) || fallback;
}

function table(columns, rows) {
  const head = el("tr", {}, ...columns.map(([, title]) => el("th", { text: title })));
  const body = rows.map((row) =>
    el("tr", {}, ...columns.map(([key]) => {
      const v = typeof key === "function" ? key(row) : row[key];
      return el("td", {}, v instanceof Node ? v : String(v === undefined || v === null ? "" : v));
    })));
  return el("div", { class: "table" }, el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
}

function field(labelText, input) {
  return el("div", {}, el("label", { text: labelText }), input);
}

function main() {
  const m = document.getElementById("main");
  m.replaceChildren();
  return m;
}

/* ---- login ----------------------------------------------------------------------------- */

function showLogin() {
  document.getElementById("who").textContent = "";
  document.getElementById("logout").classList.add("hidden");
  const m = main();
  const msisdn = el("input", { id: "msisdn", inputmode: "numeric", autocomplete: "tel", placeholder: "注册手机号" });
  const code = el("input", { id: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", placeholder: "6位验证码" });
  const send = el("button", { id: "send-code", type: "button", class: "secondary", text: "获取验证码" });
  const enter = el("button", { id: "code-login", type: "button", text: "登录" });
  send.addEventListener("click", async () => {
    const r = await api("POST", "/api/v1/code/send", { msisdn: msisdn.value });
    toast(r.status === 202 ? "如该号码已登记，验证码已发送" : message(r, "发送失败"));
  });
  enter.addEventListener("click", async () => {
    const r = await api("POST", "/api/v1/code/verify", { msisdn: msisdn.value, code: code.value });
    if (r.status === 200) start(r.data); else toast(message(r, "登录失败"));
  });
  const login = el("input", { id: "login", autocomplete: "username", placeholder: "用户名" });
  const pw = el("input", { id: "password", type: "password", autocomplete: "current-password", placeholder: "密码" });
  const go = el("button", { id: "pw-login", type: "button", text: "登录" });
  go.addEventListener("click", async () => {
    const r = await api("POST", "/api/v1/login", { login: login.value, password: pw.value });
    if (r.status === 200) start(r.data); else toast(message(r, "登录失败"));
  });
  m.append(el("div", { class: "grid" },
    el("section", { class: "card" }, el("h2", { text: "员工登录" }),
       field("手机号码", msisdn), send, field("验证码", code), enter),
    el("section", { class: "card" }, el("h2", { text: "管理人员登录" }),
       field("用户名", login), field("密码", pw), go)));
}

function start(me) {
  state.me = me;
  const who = me.role === "employee" ? me.name + "（" + me.dept + "）"
    : me.login + (me.dept ? "（" + me.dept + "）" : "");
  document.getElementById("who").textContent = who;
  document.getElementById("logout").classList.remove("hidden");
  if (me.must_change) showPassword();
  else if (me.role === "employee") showEmployee(); else showManager("dashboard");
}

/* A user with a one-time password chooses their own before anything else works. */
function showPassword() {
  const m = main();
  const old = el("input", { id: "old-password", type: "password", autocomplete: "current-password" });
  const pw = el("input", { id: "new-password", type: "password", autocomplete: "new-password" });
  const again = el("input", { id: "new-password2", type: "password", autocomplete: "new-password" });
  const go = el("button", { id: "change-password", type: "button", text: "修改密码" });
  go.addEventListener("click", async () => {
    if (pw.value !== again.value) { toast("两次输入的新密码不一致"); return; }
    const r = await api("POST", "/api/v1/password", { old: old.value, new: pw.value });
    if (r.status === 200) { toast("密码已修改"); start(r.data); } else toast(message(r, "修改失败"));
  });
  m.append(el("section", { class: "card", id: "password-view" }, el("h2", { text: "请先修改初始密码" }),
    el("p", { text: "您的密码是一次性密码，请设置自己的新密码（10至200个字符）后继续。" }),
    field("原密码", old), field("新密码", pw), field("再次输入新密码", again), go));
}

/* ---- employee -------------------------------------------------------------------------- */

async function copy(text) {
  try { await navigator.clipboard.writeText(text); toast("已复制"); }
  catch (e) { toast("请长按文字复制"); }
}

function codeCard(c) {
  const qr = (kind, title) => el("div", { class: "qr" },
    el("img", { src: "/api/v1/my/qr/" + encodeURIComponent(c.code) + "?kind=" + kind, alt: title }),
    el("span", { text: title }));
  const copyBtn = el("button", { type: "button", class: "secondary", text: "复制推广短信" });
  copyBtn.addEventListener("click", () => copy(c.promo));
  return el("section", { class: "card code-card" },
    el("h2", { text: c.name }),
    el("div", { class: "code", text: c.code }),
    el("p", { text: "已有订购：" + c.orders + " 笔" }),
    el("div", { class: "promo", text: c.promo }), copyBtn,
    el("p", {}, el("a", { href: c.sms_link, text: "短信订购 " + c.sms_link }), el("br"),
       el("a", { href: c.tel_link, text: "电话订购 " + c.tel_link })),
    el("div", { class: "qrs" }, qr("sms", "扫码发短信"), qr("tel", "扫码拨号")));
}

/* The last N months as "YYYY-MM", this one first. */
function lastMonths(n) {
  const out = [], d = new Date();
  for (let i = 0; i < n; i++) {
    const t = new Date(d.getFullYear(), d.getMonth() - i, 1);
    out.push(t.getFullYear() + "-" + String(t.getMonth() + 1).padStart(2, "0"));
  }
  return out;
}

/* The employee's results of PERIOD (undefined: this one) into the card CARD. */
async function showResults(card, period) {
  const q = period ? "?period=" + period : "";
  /* the summary (figures and rank) and the period's orders */
  const [r, k] = await Promise.all([api("GET", "/api/v1/my/orders" + q), api("GET", "/api/v1/my/summary" + q)]);
  if (r.status !== 200 || k.status !== 200) { toast(message(r, "无法读取")); return; }
  const o = r.data, rank = k.data;
  const pick = el("select", { id: "period" }, ...lastMonths(6).map((p) =>
    el("option", { value: p, text: p })));
  pick.value = o.period;
  pick.addEventListener("change", () => showResults(card, pick.value));
  card.replaceChildren(el("h2", { text: "业绩" }), pick,
    el("div", { class: "stat", text: "佣金 " + rank.commission + " 元" }),
    el("p", { id: "summary", text: "订购 " + rank.orders + " 笔，排名 " + (rank.rank || "-") + " / " + rank.ranked +
      (rank.closed ? "" : "（实时）") + (rank.restricted ? "，排名靠后，不能自行认领" : "") }),
    table([["at", "时间"], ["customer", "客户"], ["product", "产品"], ["code", "号码"],
           [(row) => (row.cancelled ? "已退订" : "有效"), "状态"], ["commission", "佣金"]], o.orders));
}

async function showEmployee() {
  const m = main();
  const results = el("section", { class: "card", id: "results" });
  m.append(results);
  const [codes, products] = await Promise.all([
    api("GET", "/api/v1/my/codes"), api("GET", "/api/v1/my/products"), showResults(results)]);
  for (const c of codes.data.codes) m.append(codeCard(c));
  const held = new Set(codes.data.codes.map((c) => c.product));
  const open = products.data.products.filter((p) => !held.has(p.code));
  m.append(el("section", { class: "card" }, el("h2", { text: "可认领的产品" }),
    open.length ? table([["name", "产品"], ["intro", "介绍"],
      [(p) => p.claimed + "/" + p.quota, "已认领"],
      [(p) => { const b = el("button", { type: "button", text: "认领", "data-product": p.code });
                b.addEventListener("click", async () => {
                  const r = await api("POST", "/api/v1/my/claim", { product: p.code });
                  toast(message(r, "认领失败"));
                  if (r.status === 200) showEmployee();
                });
                return b; }, ""]], open)
      : el("p", { text: "暂无可认领的产品" })));
}

/* ---- manager --------------------------------------------------------------------------- */

const views = {
  dashboard: ["概览", showDashboard], products: ["产品", showProducts], people: ["人员导入", showPeople], handout: ["派发", showHandout],
  report: ["报表", showReport], ranking: ["排名", showRanking], optouts: ["退订", showOptouts],
  audit: ["操作记录", showAudit], users: ["用户", showUsers],
};

function showManager(view) {
  const m = main();
  const shown = Object.entries(views).filter(([key]) => key !== "users" || state.me.role === "admin");
  const tabs = el("nav", { class: "tabs" }, ...shown.map(([key, [title]]) => {
    const b = el("button", { type: "button", text: title, class: key === view ? "on" : "", "data-view": key });
    b.addEventListener("click", () => showManager(key));
    return b;
  }));
  const body = el("div", { id: "view" });
  m.append(tabs, body);
  views[view][1](body);
}

/* Orders per hour as an SVG bar chart, drawn here (no chart library, no CDN). */
function hourChart(hours) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const max = Math.max(1, ...hours);
  svg.setAttribute("viewBox", "0 0 480 150");
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "今日每小时订购");
  hours.forEach((n, h) => {
    const height = Math.round((n / max) * 110);
    const bar = document.createElementNS(ns, "rect");
    bar.setAttribute("x", String(h * 20 + 2));
    bar.setAttribute("y", String(120 - height));
    bar.setAttribute("width", "16");
    bar.setAttribute("height", String(height));
    bar.setAttribute("class", "bar");
    const tip = document.createElementNS(ns, "title");
    tip.textContent = h + "时：" + n;
    bar.append(tip);
    svg.append(bar);
    if (h % 3 === 0) {
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", String(h * 20 + 2));
      label.setAttribute("y", "140");
      label.setAttribute("class", "axis");
      label.textContent = String(h);
      svg.append(label);
    }
  });
  return svg;
}

async function showDashboard(v) {
  const r = await api("GET", "/api/v1/dashboard");
  if (r.status !== 200) { v.append(el("p", { class: "bad", text: message(r, "无法读取") })); return; }
  const d = r.data;
  v.append(el("div", { class: "grid" },
    el("section", { class: "card" }, el("h2", { text: "订购" + (d.dept ? "（" + d.dept + "）" : "") }),
       el("div", { class: "stat", id: "today", text: "今日 " + d.today + " 笔" }),
       el("p", { text: "本期（" + d.period + "）" + d.period_orders + " 笔" }), hourChart(d.hours)),
    el("section", { class: "card" }, el("h2", { text: "产品" }),
       table([["name", "产品"], [(p) => p.claimed + "/" + p.quota, "已认领"], ["orders", "本期订购"]], d.products)),
    el("section", { class: "card" }, el("h2", { text: "本期前十" }),
       table([["id", "工号"], ["name", "姓名"], ["dept", "部门"], ["orders", "订购"]], d.top)),
    el("section", { class: "card" }, el("h2", { text: "后10%" }),
       table([["id", "工号"], ["name", "姓名"], ["dept", "部门"], ["orders", "订购"]], d.bottom))));
}

async function showProducts(v) {
  const r = await api("GET", "/api/v1/products");
  if (r.status !== 200) { v.append(el("p", { class: "bad", text: message(r, "无法读取") })); return; }
  const act = (p, what, title) => {
    const b = el("button", { type: "button", class: "secondary", text: title, "data-act": what + ":" + p.code });
    b.addEventListener("click", async () => {
      const res = await api("POST", "/api/v1/products/" + encodeURIComponent(p.code) + "/" + what, {});
      toast(res.status === 200 ? "已完成" : message(res, "失败"));
      showManager("products");
    });
    return b;
  };
  const show = (p) => {
    const b = el("button", { type: "button", class: "secondary", text: "持有人" });
    b.addEventListener("click", () => showHolders(v, p.code));
    return b;
  };
  v.append(el("section", { class: "card" }, el("h2", { text: "产品池" }),
    table([["code", "代码"], ["name", "名称"], ["status", "状态"], [(p) => p.claimed + "/" + p.quota, "已认领"],
           ["orders", "订购"], ["commission", "佣金"],
           [(p) => el("span", {}, p.status === "draft" ? act(p, "activate", "上线") : "",
                      p.status !== "retired" ? act(p, "retire", "下线") : "", show(p)), ""]],
          r.data.products)));
  const f = {};
  const form = el("section", { class: "card" }, el("h2", { text: "新增产品（草稿）" }));
  for (const [k, title] of [["code", "产品代码"], ["name", "名称"], ["quota", "名额"], ["commission", "佣金（元）"],
                            ["intro", "推广语"], ["fee", "资费"], ["start", "开始日期 YYYY-MM-DD"], ["end", "结束日期"]]) {
    f[k] = el("input", { name: k });
    form.append(field(title, f[k]));
  }
  const add = el("button", { type: "button", text: "保存为草稿" });
  add.addEventListener("click", async () => {
    const spec = {};
    for (const k of Object.keys(f)) if (f[k].value) spec[k] = f[k].value;
    const res = await api("POST", "/api/v1/products", spec);
    toast(res.status === 201 ? "已保存为草稿" : message(res, "失败"));
    if (res.status === 201) showManager("products");
  });
  form.append(add);
  v.append(form);
}

async function showHolders(v, code) {
  const r = await api("GET", "/api/v1/products/" + encodeURIComponent(code));
  if (r.status !== 200) { toast(message(r, "失败")); return; }
  v.prepend(el("section", { class: "card" }, el("h2", { text: r.data.name + " 的持有人" }),
    table([["code", "号码"], ["holder", "工号/团队"], ["name", "姓名"], ["dept", "部门"],
           ["claimed_at", "认领时间"], ["orders", "订购"]], r.data.holders)));
}

function showPeople(v) {
  const file = el("input", { type: "file", accept: ".csv,text/csv", id: "csv" });
  const out = el("div", { id: "import-result" });
  const run = async (dry) => {
    if (!file.files[0]) { toast("请选择文件"); return; }
    const text = await file.files[0].text();
    const r = await api("POST", "/api/v1/people/import?dry_run=" + (dry ? "1" : "0"), text, "text/csv");
    out.replaceChildren();
    if (r.data && r.data.bad && r.data.bad.length) {
      out.append(el("p", { class: "bad", text: r.data.bad.length + " 行有误，未导入" }),
        table([["line", "行"], ["reason", "原因"]], r.data.bad));
    } else if (r.status === 200) {
      out.append(el("p", { class: "ok", text: (dry ? "检查通过，将" : "已") + "新增 " + r.data.added +
        "，更新 " + r.data.updated + "，不变 " + r.data.unchanged }));
      if (dry) {
        const ok = el("button", { type: "button", id: "confirm-import", text: "确认导入" });
        ok.addEventListener("click", () => run(false));
        out.append(ok);
      }
    } else out.append(el("p", { class: "bad", text: message(r, "导入失败") }));
  };
  const check = el("button", { type: "button", id: "check-import", text: "检查（不写入）" });
  check.addEventListener("click", () => run(true));
  v.append(el("section", { class: "card" }, el("h2", { text: "导入人事文件（id,name,msisdn,dept）" }),
    file, check, out));
  v.append(teamsCard());
}

/* A form of inputs NAMES (name -> label) and a button TITLE that posts them to PATH. */
function postForm(title, names, buttonText, path, done) {
  const inputs = {};
  const card = el("section", { class: "card" }, el("h2", { text: title }));
  for (const [k, label] of Object.entries(names)) {
    inputs[k] = el("input", { name: k, type: k === "password" ? "password" : "text" });
    card.append(field(label, inputs[k]));
  }
  const b = el("button", { type: "button", text: buttonText });
  b.addEventListener("click", async () => {
    const body = {};
    for (const k of Object.keys(inputs)) if (inputs[k].value) body[k] = inputs[k].value;
    const r = await api("POST", path, body);
    toast(r.status < 300 ? "已完成" : message(r, "失败"));
    if (r.status < 300 && done) done();
  });
  card.append(b);
  return card;
}

function teamsCard() {
  return el("div", {},
    postForm("新建虚拟团队", { name: "团队名称", leader: "队长工号", split: "分成方式（equal / leader）" },
             "新建", "/api/v1/teams"),
    postForm("添加团队成员", { team: "团队名称", employee: "员工工号（员工）", msisdn: "手机号（非员工）",
                              name: "姓名（非员工）" }, "添加", "/api/v1/teams/members"));
}

async function showUsers(v) {
  const r = await api("GET", "/api/v1/users");
  if (r.status !== 200) { v.append(el("p", { class: "bad", text: message(r, "无权查看") })); return; }
  v.append(el("section", { class: "card" }, el("h2", { text: "控制台用户" }),
    table([["login", "用户名"], ["role", "角色"], ["dept", "部门"], ["created_at", "创建时间"],
           [(u) => (u.locked ? "已锁定" : ""), "状态"]], r.data.users)),
    postForm("新增用户", { login: "用户名", role: "角色（admin / manager）", dept: "部门（留空：全部）",
                          password: "初始密码（10位以上）" }, "新增", "/api/v1/users",
             () => showManager("users")));
}

function showHandout(v) {
  const product = el("input", { name: "product" });
  const kind = el("select", { name: "kind" }, el("option", { value: "dept", text: "部门" }),
    el("option", { value: "team", text: "虚拟团队" }), el("option", { value: "employee", text: "员工工号" }));
  const target = el("input", { name: "target" });
  if (state.me.dept) { target.value = state.me.dept; kind.disabled = true; target.disabled = true; }
  const out = el("div", {});
  const outcomes = { assigned: "派发", held: "已持有（跳过）", refused: "名额不足（拒绝）" };
  const run = async (dry) => {
    const body = { product: product.value, dry_run: dry };
    body[kind.value] = target.value;
    const r = await api("POST", "/api/v1/handout", body);
    out.replaceChildren();
    if (r.status !== 200) { out.append(el("p", { class: "bad", text: message(r, "失败") })); return; }
    out.append(el("p", { class: "ok", text: (dry ? "预览：将" : "已") + "派发 " + r.data.assigned +
      "，已持有 " + r.data.skipped + "，名额不足 " + r.data.refused + "；推广短信 " + r.data.queued + " 条" }),
      table([["holder", "工号/团队"], ["name", "姓名"], ["code", "号码"],
             [(row) => outcomes[row.outcome] || row.outcome, "结果"]], r.data.rows));
    if (dry) {
      const apply = el("button", { type: "button", id: "handout-apply", text: "确认派发" });
      apply.addEventListener("click", () => run(false));
      out.append(apply);
    }
  };
  const go = el("button", { type: "button", id: "handout", text: "预览" });
  go.addEventListener("click", () => run(true));
  v.append(el("section", { class: "card" }, el("h2", { text: "派发号码" }), field("产品代码", product),
    field("派发给", kind), field("部门 / 团队 / 工号", target), go, out));
}

function showReport(v) {
  const by = el("select", { name: "by" }, ...[["employee", "员工"], ["dept", "部门"], ["product", "产品"],
    ["team", "团队"], ["day", "日期"], ["dept,product", "部门+产品"]].map(([k, t]) => el("option", { value: k, text: t })));
  const from = el("input", { name: "from", placeholder: "YYYY-MM-DD" });
  const to = el("input", { name: "to", placeholder: "YYYY-MM-DD" });
  const out = el("div", {});
  const go = el("button", { type: "button", id: "run-report", text: "查询" });
  go.addEventListener("click", async () => {
    const q = new URLSearchParams({ by: by.value });
    if (from.value) q.set("from", from.value);
    if (to.value) q.set("to", to.value);
    const r = await api("GET", "/api/v1/report?" + q.toString());
    out.replaceChildren();
    if (r.status !== 200) { out.append(el("p", { class: "bad", text: message(r, "失败") })); return; }
    const cols = r.data.rows.length ? Object.keys(r.data.rows[0]).map((k) => [k, k]) : [];
    q.set("format", "csv");
    out.append(el("p", {}, el("a", { id: "report-csv", href: "/api/v1/report?" + q.toString(),
                                     download: "report.csv", text: "下载 CSV" })),
               r.data.rows.length ? table(cols, r.data.rows) : el("p", { text: "无数据" }));
  });
  v.append(el("section", { class: "card" }, el("h2", { text: "报表" }), field("分组", by),
    field("开始日期", from), field("结束日期", to), go, out));
}

async function showRanking(v) {
  const r = await api("GET", "/api/v1/ranking");
  if (r.status !== 200) { v.append(el("p", { class: "bad", text: message(r, "无权查看") })); return; }
  /* places are in the whole ranking (a department's manager sees its lines only) */
  const n = r.data.ranked, bottom = Math.ceil(n * 0.1);
  v.append(el("section", { class: "card" }, el("h2", { text: "排名 " + r.data.period + (r.data.dept ? "（" + r.data.dept + "）" : "") +
      (r.data.closed ? "（已结算）" : "（实时）") + "，共" + n + "人" }),
    table([["rank", "名次"], ["holder", "工号"], ["name", "姓名"], ["dept", "部门"], ["orders", "订购"],
           [(row) => (row.rank > n - bottom ? "后10%" : ""), ""]], r.data.rows)));
}

async function showOptouts(v) {
  const r = await api("GET", "/api/v1/optouts");
  if (r.status !== 200) { v.append(el("p", { class: "bad", text: message(r, "无权查看") })); return; }
  v.append(el("section", { class: "card" }, el("h2", { text: "退订号码" }),
    table([["msisdn", "号码"], ["at", "时间"]], r.data.optouts)));
}

async function showAudit(v) {
  const r = await api("GET", "/api/v1/audit");
  if (r.status !== 200) { v.append(el("p", { class: "bad", text: message(r, "失败") })); return; }
  v.append(el("section", { class: "card" }, el("h2", { text: "操作记录" }),
    table([["at", "时间"], ["actor", "操作人"], ["address", "地址"], ["what", "操作"], ["detail", "内容"]], r.data.audit)));
}

/* ---- start ----------------------------------------------------------------------------- */

document.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("logout").addEventListener("click", async () => {
    await api("POST", "/api/v1/logout", {});
    state.me = null;
    showLogin();
  });
  const r = await api("GET", "/api/v1/session");
  if (r.status === 200 && r.data.role) start(r.data); else showLogin();
});
