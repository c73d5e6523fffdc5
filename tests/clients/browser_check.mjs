// Open a page in headless Chromium (playwright-core + the system browser), wait for the page to set
// window.__result, optionally take a screenshot once the picture has settled, and print {result, logs} as JSON.
//   node tests/clients/browser_check.mjs URL [SCREENSHOT.png]
// CHROMIUM overrides the browser path (default /usr/bin/chromium).
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // software WebGL (SwiftShader): no GPU on the test machines
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const logs = [];
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e}`));
  page.on("requestfailed", (r) => logs.push(`requestfailed: ${r.url()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 90000 });
  const result = await page.evaluate(() => window.__result);
  if (shot) {
    // the picture once it has settled: viewers fade models in and refine shadows over a few frames, slower on a
    // loaded machine's software WebGL, so wait until two screenshots a quarter second apart are the same
    let previous = null;
    let picture = null;
    for (let i = 0; i < 40; i++) {
      await page.waitForTimeout(250);
      picture = await page.screenshot();
      if (previous && picture.equals(previous)) break;
      previous = picture;
    }
    writeFileSync(shot, picture);
  }
  process.stdout.write(JSON.stringify({ result, logs }));
} catch (err) {
  process.stdout.write(JSON.stringify({ result: { error: String(err) }, logs }));
} finally {
  await browser.close();
}
