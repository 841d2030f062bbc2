"""The crawl process: ``python -m gluelab.crawler.run CRAWL_ID`` runs a crawl StartCrawler recorded,
writing its log to ``<home>/logs/crawlers/<crawler>/<crawl id>.log`` and its outcome to the store."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from pathlib import Path

from ..errors import GlueError
from ..services import Services, open_services
from .engine import CrawlContext, CrawlFailed, CrawlStopped, run_crawl


def execute(services: Services, crawl_id: str) -> str:
    """Run the crawl ``crawl_id`` (already begun) to its end; returns its final state."""
    info = services.crawlers.crawl_info(crawl_id)
    log_path = Path(info["LogPath"])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as log_file:

        def log(message: str) -> None:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
            log_file.write(f"{stamp} {message}\n")
            log_file.flush()

        ctx = CrawlContext(
            services=services,
            crawler=info["Crawler"],
            memory=info["Memory"],
            log=log,
            progress=lambda progress: services.crawlers.report_progress(crawl_id, progress),
        )
        log(f"INFO crawl {crawl_id} of crawler {info['CrawlerName']} started")
        try:
            memory = run_crawl(ctx)
        except CrawlStopped:
            log("INFO stopped by StopCrawler before writing; the catalog is unchanged")
            services.crawlers.finish_crawl(crawl_id, "STOPPED", ctx.summary.as_dict())
            return "STOPPED"
        except (CrawlFailed, GlueError) as exc:
            message = str(exc) if isinstance(exc, CrawlFailed) else exc.message
            log(f"ERROR {message}")
            services.crawlers.finish_crawl(crawl_id, "FAILED", ctx.summary.as_dict(), error=message)
            return "FAILED"
        except Exception as exc:  # a bug: the crawl fails with its trace in the log
            log("ERROR " + "".join(traceback.format_exception(exc)))
            services.crawlers.finish_crawl(
                crawl_id,
                "FAILED",
                ctx.summary.as_dict(),
                error=f"Internal error: {type(exc).__name__}: {exc}",
            )
            return "FAILED"
        summary = ctx.summary.as_dict()
        log("INFO finished: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
        services.crawlers.finish_crawl(crawl_id, "COMPLETED", summary, memory=memory)
        return "COMPLETED"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m gluelab.crawler.run CRAWL_ID", file=sys.stderr)
        return 2
    services = open_services()
    try:
        if not services.crawlers.claim(args[0], os.getpid()):
            print(f"crawl {args[0]} is run by another process or has ended", file=sys.stderr)
            return 0
        return 0 if execute(services, args[0]) != "FAILED" else 1
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main())
