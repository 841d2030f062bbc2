"""Crawlers: classifiers, schema inference, grouping into tables and partitions, policies, crawl runs."""

from .service import CrawlerService

__all__ = ["CrawlerService"]
