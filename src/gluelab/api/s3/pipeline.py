"""An upload's bytes on their way from the socket to the lake: each chunk goes to two lanes, the MD5 and the
rest (the signed SHA256, the S3 checksum, the write), each a thread of its own taking chunks in order, so
hashing overlaps with reading the socket and the two hashes run at once. At most ``DEPTH`` chunks wait:
beyond that, reading pauses (tornado waits for ``data_received``)."""

from __future__ import annotations

import asyncio
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from ...lake.writes import ObjectWriter

DEPTH = 8


class Pipeline:
    def __init__(self, writer: ObjectWriter):
        self.writer = writer
        self.md5_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gluelab-s3-md5")
        self.body_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gluelab-s3-body")
        self.pending: deque[asyncio.Future[object]] = deque()

    async def feed(self, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        both = asyncio.gather(
            loop.run_in_executor(self.md5_lane, self.writer.write_md5, data),
            loop.run_in_executor(self.body_lane, self.writer.write_rest, data),
        )
        both.add_done_callback(_consume)
        self.pending.append(both)
        while len(self.pending) > DEPTH:
            await self.pending.popleft()

    async def drain(self) -> None:
        """Wait for every chunk; raises the first error a lane met (EntityTooLarge ...)."""
        try:
            while self.pending:
                await self.pending.popleft()
        finally:
            self.close()

    def close(self) -> None:
        """Stop the lanes; chunks still queued become no-ops once the writer is discarded."""
        self.md5_lane.shutdown(wait=False, cancel_futures=True)
        self.body_lane.shutdown(wait=False, cancel_futures=True)


def _consume(future: asyncio.Future[object]) -> None:
    """Errors of chunks nobody awaits (an upload given up) are not worth a warning."""
    if not future.cancelled():
        future.exception()
