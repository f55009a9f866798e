/*
 * browser.js: ermweb's browser tests in a real headless Chromium (Debian's chromium, driven
 * by puppeteer-core). Run by tests/integration/test_web_browser.py, which starts
 * PostgreSQL and ermweb and passes:
 *   ERM_WEB_URL        the console's address
 *   ERM_ARTIFACTS      where the screenshots go
 *   ERM_BAD_CSV, ERM_GOOD_CSV   HR files (one bad line; good)
 *   ERM_CODE_CMD       a command that prints the newest login code sent to a number ($1)
 *   ERM_OTP            the one-time password of user "newbie" (ermctl user add --generate)
 *   ERM_DEPT_CSV       an HR file of 市场部's manager "wang" with a row of another department
 * A manager logs in, uploads a CSV with a bad line and sees it named, uploads a good one,
 * activates a product, hands it out to a department and sees the report; an employee logs
 * in with the code read from the outbox, sees the codes and the QR, self-claims; the XSS
 * name renders as text. A user with a one-time password must set their own first; a
 * department's manager sees their department's ranking lines and opt-outs and may import
 * rows of it only. Every flow at 360 and 1280 px (the first login at 360); any console
 * error, page error or dialog fails the run.
 */
"use strict";

const puppeteer = require("puppeteer-core");
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const URL = process.env.ERM_WEB_URL;
const ART = process.env.ERM_ARTIFACTS;
const XSS = "<img src=x onerror=alert(1)>";
const problems = [];

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}

/* A page in a context of its own (no cookies of another flow), WIDTH px wide. */
async function newPage(browser, width, label) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width, height: width < 500 ? 740 : 900 });
  page.on("console", (m) => { if (m.type() === "error") problems.push(label + ": console: " + m.text()); });
  page.on("pageerror", (e) => problems.push(label + ": page error: " + e.message));
  page.on("dialog", async (d) => { problems.push(label + ": dialog: " + d.message()); await d.dismiss(); });
  await page.goto(URL + "/", { waitUntil: "networkidle0" });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ART, name + ".png"), fullPage: true });
}

async function type(page, sel, text) {
  await page.click(sel, { clickCount: 3 });
  await page.type(sel, text);
}

async function textOf(page, sel) {
  return page.$eval(sel, (e) => e.textContent);
}

async function tab(page, view) {
  await page.click('nav.tabs button[data-view="' + view + '"]');
}

async function manager(browser, width) {
  const page = await newPage(browser, width, "manager@" + width);
  await shot(page, "login-" + width);
  await type(page, "#login", "boss");
  await type(page, "#password", process.env.ERM_PASSWORD);
  await page.click("#pw-login");
  await page.waitForSelector("nav.tabs");
  await page.waitForSelector("svg.chart");
  await shot(page, "manager-dashboard-" + width);
  await tab(page, "products");
  await page.waitForSelector("#view table");
  await shot(page, "manager-products-" + width);

  if (width === 1280) { /* the data changes happen once; 360 px looks at the results */
    await tab(page, "people");
    const input = await page.waitForSelector("#csv");
    await input.uploadFile(process.env.ERM_BAD_CSV);
    await page.click("#check-import");
    await page.waitForSelector("#import-result .bad");
    const bad = await textOf(page, "#import-result");
    check(bad.includes("1 行有误") && bad.includes("msisdn"), "the bad line is named: " + bad);
    await shot(page, "manager-import-bad-" + width);
    await input.uploadFile(process.env.ERM_GOOD_CSV);
    await page.click("#check-import");
    await page.waitForSelector("#confirm-import");
    await page.click("#confirm-import");
    await page.waitForFunction(() => document.querySelector("#import-result .ok") &&
      document.querySelector("#import-result .ok").textContent.startsWith("已新增"));

    await tab(page, "products");
    await page.waitForSelector('button[data-act="activate:20"]');
    await page.click('button[data-act="activate:20"]');
    await page.waitForFunction(() => !document.querySelector('button[data-act="activate:20"]'));

    await tab(page, "handout");
    await type(page, 'input[name="product"]', "20");
    await type(page, 'input[name="target"]', "市场部");
    await page.click("#handout");
    await page.waitForSelector("#handout-apply");
    check((await textOf(page, "#view .ok")).startsWith("预览"), "the hand-out's preview");
    await page.click("#handout-apply");
    await page.waitForFunction(() => document.querySelector("#view .ok") &&
      document.querySelector("#view .ok").textContent.startsWith("已派发"));
    const out = await textOf(page, "#view");
    check(out.includes(XSS), "the XSS name is shown as text in the hand-out");
    await shot(page, "manager-handout-" + width);
  }
  check(await page.$('img[src="x"]') === null, "no element made of the XSS name");

  await tab(page, "report");
  await page.waitForSelector("#run-report");
  await page.click("#run-report");
  await page.waitForSelector("#view table");
  check((await page.$eval("#report-csv", (a) => a.getAttribute("href"))).endsWith("format=csv"),
        "the CSV download link");
  await shot(page, "manager-report-" + width);
  await tab(page, "audit");
  await page.waitForSelector("#view table");
  const audit = await textOf(page, "#view");
  check(audit.includes("handout") && audit.includes("people.import"), "the audit page lists the actions");
  await shot(page, "manager-audit-" + width);
  await page.browserContext().close();
}

async function employee(browser, width) {
  const page = await newPage(browser, width, "employee@" + width);
  await type(page, "#msisdn", "13800000001");
  await page.click("#send-code");
  let code = "";
  for (let i = 0; i < 50 && !/^\d{6}$/.test(code); i++) {
    await new Promise((r) => setTimeout(r, 100));
    code = execFileSync(process.env.ERM_CODE_CMD, ["13800000001"]).toString().trim();
  }
  check(/^\d{6}$/.test(code), "a code was queued to the outbox");
  await type(page, "#code", code);
  await page.click("#code-login");
  await page.waitForSelector(".code-card");
  await page.waitForFunction(() => [...document.querySelectorAll(".qr img")]
    .every((i) => i.complete && i.naturalWidth > 0));
  const card = await textOf(page, ".code-card");
  check(card.includes("sms:10086?body=") && card.includes("tel:10086"), "the code's links");
  await shot(page, "employee-codes-" + width);
  check((await textOf(page, "#results .stat")) === "佣金 5.00 元", "this period's commission");
  const earlier = await page.$eval("#period", (s) => s.options[1].value);
  await page.select("#period", earlier);
  await page.waitForFunction(() => document.querySelector("#results .stat").textContent === "佣金 0.00 元");
  const claim = await page.$('button[data-product="30"]');
  if (claim) {
    await claim.click();
    await page.waitForFunction(() => document.querySelectorAll(".code-card").length >= 3);
  }
  await shot(page, "employee-claimed-" + width);
  await page.browserContext().close();
}

/* A user with a one-time password: the password form and nothing else, then the console. */
async function firstLogin(browser, width) {
  const page = await newPage(browser, width, "first-login@" + width);
  await type(page, "#login", "newbie");
  await type(page, "#password", process.env.ERM_OTP);
  await page.click("#pw-login");
  await page.waitForSelector("#password-view");
  check(await page.$("nav.tabs") === null, "nothing but the password form before the change");
  await shot(page, "first-login-password-" + width);
  await type(page, "#old-password", process.env.ERM_OTP);
  await type(page, "#new-password", "my own long password");
  await type(page, "#new-password2", "my own long password");
  await page.click("#change-password");
  await page.waitForSelector("nav.tabs");
  await page.waitForSelector("svg.chart");
  await page.browserContext().close();
}

/* 市场部's manager: the ranking and opt-outs of the department; an HR row of another one is
 * named as a bad line (the file is checked, nothing written). */
async function deptManager(browser, width) {
  const page = await newPage(browser, width, "dept-manager@" + width);
  await type(page, "#login", "wang");
  await type(page, "#password", process.env.ERM_PASSWORD);
  await page.click("#pw-login");
  await page.waitForSelector("nav.tabs");
  await tab(page, "ranking");
  await page.waitForSelector("#view table");
  const depts = await page.$$eval("#view tbody tr", (rows) => rows.map((r) => r.cells[3].textContent));
  check(depts.length > 0 && depts.every((d) => d === "市场部"), "only 市场部's ranking lines: " + depts);
  const title = await textOf(page, "#view h2");
  check(title.includes("市场部"), "the ranking says whose");
  const whole = Number(/共(\d+)人/.exec(title)[1]);
  check(whole > depts.length, "other departments' lines left out (" + depts.length + " of " + whole + ")");
  await shot(page, "dept-manager-ranking-" + width);
  await tab(page, "optouts");
  await page.waitForSelector("#view table");
  await tab(page, "people");
  const input = await page.waitForSelector("#csv");
  await input.uploadFile(process.env.ERM_DEPT_CSV);
  await page.click("#check-import");
  await page.waitForSelector("#import-result .bad");
  const bad = await textOf(page, "#import-result");
  check(bad.includes("is not your department"), "another department's row is named: " + bad);
  await shot(page, "dept-manager-import-" + width);
  await page.browserContext().close();
}

(async () => {
  fs.mkdirSync(ART, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: process.env.ERM_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    userDataDir: fs.mkdtempSync(path.join(os.tmpdir(), "ermweb-chromium-")),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  let failed = false;
  try {
    for (const width of [1280, 360]) await manager(browser, width);
    for (const width of [360, 1280]) await employee(browser, width);
    await firstLogin(browser, 360);
    for (const width of [1280, 360]) await deptManager(browser, width);
  } catch (e) {
    failed = true;
    console.error("FAIL: " + e.message);
  } finally {
    await browser.close();
  }
  for (const p of problems) console.error("FAIL: " + p);
  if (failed || problems.length) process.exit(1);
  console.log("browser: ok (screenshots in " + ART + ")");
})();
