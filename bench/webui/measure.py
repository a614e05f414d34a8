"""Web UI timings in headless Chromium against a running daemon (bench/webui/run.sh starts one).

    python3 bench/webui/measure.py http://127.0.0.1:PORT [--loads 5] [--json OUT]

- first rows: `performance` mark `omni:first-rows` (the library's first page of rows is in the
  DOM), from navigation start, over several fresh loads; plus First Contentful Paint;
- search: the `omni:search` measure (from the debounced search firing to its first rows in the
  DOM) for a mix of queries typed into the search box;
- scrolling: the table scrolled by requestAnimationFrame at 120 px a frame (a mouse wheel or
  trackpad) for 3 s, at 1,000 px a frame (28 rows a frame) for 3 s, then 10 jumps across the
  whole library (a scrollbar drag); a frame is "dropped" when its interval exceeds 1.5 × 16.7 ms.
"""

import argparse
import json
import statistics
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(60)
    results = {}
    try:
        first, fcp = [], []
        for _ in range(args.loads):
            driver.get("about:blank")
            driver.get(args.url + "/#/library")
            deadline = time.monotonic() + 20
            value = None
            while value is None and time.monotonic() < deadline:
                value = driver.execute_script("const m = performance.getEntriesByName('omni:first-rows')[0]; return m ? m.startTime : null")
                time.sleep(0.02)
            first.append(value)
            fcp.append(driver.execute_script("const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null"))
        total = driver.execute_script("return document.querySelector('[data-count]').textContent")
        rows_in_dom = driver.execute_script("return document.querySelectorAll('[data-track-table] .row').length")
        results["library"] = total
        results["rowsInDOM"] = rows_in_dom
        results["firstRowsMs"] = {"median": statistics.median(first), "max": max(first), "all": first}
        results["firstContentfulPaintMs"] = {"median": statistics.median(fcp), "max": max(fcp)}

        searches = []
        for query in ["a", "lo", "love", "the night", "zzzz", "artist:sun", "year:1990..1999 be", "xqzv", "m", "river dance"]:
            driver.execute_script("performance.clearMeasures('omni:search')")
            box = driver.find_element("css selector", "[data-search-input]")
            box.clear()
            box.send_keys(query)
            deadline = time.monotonic() + 10
            value = None
            while value is None and time.monotonic() < deadline:
                value = driver.execute_script("const m = performance.getEntriesByName('omni:search').at(-1); return m ? m.duration : null")
                time.sleep(0.02)
            searches.append((query, value))
        durations = [v for _, v in searches if v is not None]
        results["searchMs"] = {"p50": percentile(durations, 50), "p95": percentile(durations, 95), "max": max(durations),
                               "queries": dict(searches)}
        box = driver.find_element("css selector", "[data-search-input]")
        box.clear()
        box.send_keys(" ")
        time.sleep(1)

        phases = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const viewport = document.querySelector('[data-track-table]');
            // Each phase scrolls `step` px per frame for `ms`, bouncing at the ends; "jumps" moves
            // to far places as a scrollbar drag does.
            const plan = [['wheel', 120, 3000], ['fast', 1000, 3000]];
            const result = {};
            let phase = 0, last = 0, start = 0, direction = 1, intervals = [];
            function step(now) {
              if (last) intervals.push(now - last);
              last = now;
              if (!start) start = now;
              const [name, px, ms] = plan[phase];
              if (now - start < ms) {
                viewport.scrollTop += px * direction;
                if (viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - 1) direction = -1;
                if (viewport.scrollTop <= 0) direction = 1;
                requestAnimationFrame(step);
                return;
              }
              result[name] = intervals;
              intervals = []; start = 0; phase += 1;
              if (phase < plan.length) { requestAnimationFrame(step); return; }
              const jumps = [0.5, 0.9, 0.1, 0.75, 0.3, 1, 0, 0.6, 0.2, 0.95];
              let i = 0;
              function jump(t) {
                intervals.push(t - last); last = t;
                if (i < jumps.length) { viewport.scrollTop = jumps[i++] * viewport.scrollHeight; requestAnimationFrame(jump); }
                else { result.jumps = intervals; result.rows = document.querySelectorAll('[data-track-table] .row').length; done(result); }
              }
              requestAnimationFrame(jump);
            }
            requestAnimationFrame(step);""")
        results["scroll"] = {"rowsInDOM": phases.pop("rows")}
        for name, intervals in phases.items():
            intervals = intervals[1:]
            median = statistics.median(intervals)
            results["scroll"][name] = {"frames": len(intervals), "medianFrameMs": median, "p95FrameMs": percentile(intervals, 95),
                                       "maxFrameMs": max(intervals), "dropped": sum(1 for v in intervals if v > 1.5 * 16.7)}
    finally:
        driver.quit()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
