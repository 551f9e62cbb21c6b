// A person's walk through the registry in headless Chromium (Debian's), driven by playwright-core:
// open the catalogue, filter by license, open a model, log in with a token, approve through the
// form, see the approval and the event. Prints one JSON object with what it saw; the Rust test
// (tests/cli/browser.rs) judges it. Usage: node walk.cjs URL TOKEN MODEL SCREENSHOT_DIR
const { chromium } = require("playwright-core");

async function main() {
  const [url, token, model, shots] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  const seen = {};
  const injected = async () => page.evaluate(() => ({
    scripts: document.querySelectorAll("script").length,
    images: document.querySelectorAll("img").length,
    pwned: Boolean(window.__pwned),
  }));

  await page.goto(url + "/");
  seen.catalogue_rows = await page.locator("#models tbody tr").count();
  seen.catalogue_injected = await injected();
  await page.screenshot({ path: shots + "/catalogue.png", fullPage: true });

  await page.fill("input[name=license]", "MIT");
  await Promise.all([page.waitForURL(/license=MIT/), page.click("#filters button[type=submit]")]);
  seen.filtered_licenses = await page.locator("#models tbody tr td:nth-child(3)").allInnerTexts();

  await Promise.all([page.waitForURL(/\/models\//), page.click(`#models a:text-is("${model}")`)]);
  seen.model_heading = await page.locator("#model-name").innerText();
  seen.summary = await page.locator("#summary").innerText();
  seen.forms_before_login = await page.locator("#approve").count();

  await page.goto(url + "/login");
  await page.fill("input[name=token]", token);
  await Promise.all([page.waitForURL(url + "/"), page.click("#login button")]);
  seen.logged_in_as = await page.locator("nav .who").innerText();

  await page.goto(url + "/models/" + model);
  await page.fill("#approve input[name=criterion]", "production");
  await page.fill("#approve input[name=note]", "walked through in the browser");
  await Promise.all([page.waitForURL(/flash=/), page.click("#approve button")]);
  seen.flash = await page.locator("#flash").innerText();
  seen.approvals = await page.locator("#approvals").innerText();
  seen.events = await page.locator("#events").innerText();
  seen.model_injected = await injected();
  await page.screenshot({ path: shots + "/model.png", fullPage: false });

  seen.console_errors = errors;
  await browser.close();
  process.stdout.write(JSON.stringify(seen) + "\n");
}

main().catch((e) => { process.stderr.write(String(e.stack || e) + "\n"); process.exit(1); });
