"""The demo's raw data, as a shop's systems would upload it to a landing prefix: daily sales exports (CSV,
some rows malformed) and customer records (nested JSON), in ``dt=YYYY-MM-DD`` folders. Deterministic, so
the demo can check what its jobs computed against what it wrote."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

PRODUCTS = {
    "SKU-KETTLE": 39.90,
    "SKU-MUG": 8.50,
    "SKU-TEAPOT": 54.00,
    "SKU-FILTER": 4.25,
    "SKU-TIN": 12.00,
    "SKU-SCALE": 27.60,
}
CITIES = [("Oslo", "NO"), ("Bergen", "NO"), ("Lyon", "FR"), ("Paris", "FR"), ("Porto", "PT"), ("Graz", "AT")]
HEADER = "order_id,customer_id,sku,quantity,unit_price,ordered_at\n"
# How a row goes wrong in an export: the value a column gets instead of a good one.
MALFORMED = [
    ("quantity", "two"),
    ("unit_price", "N/A"),
    ("ordered_at", "2024-13-45 25:61"),
    ("customer_id", ""),
]


@dataclass
class Day:
    """What one day's files hold, for checking the jobs' results."""

    dt: str
    rows: int = 0
    malformed: int = 0
    revenue: float = 0.0
    new_customers: int = 0
    objects: dict[str, str] = field(default_factory=dict)  # key (below the landing prefix) -> text

    @property
    def clean(self) -> int:
        return self.rows - self.malformed


class Shop:
    """Makes the raw files day by day (the demo uploads them; the tests recompute them to check)."""

    def __init__(self, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.customers = 0
        self.next_order = 1000

    def day(self, dt: str, orders: int, new_customers: int, files: int = 2) -> Day:
        day = Day(dt, new_customers=new_customers)
        day.objects[f"customers/dt={dt}/customers.json"] = self._customers(new_customers)
        per_file = -(-orders // files)
        for part in range(files):
            lines = []
            for _ in range(min(per_file, orders - part * per_file)):
                line, bad, revenue = self._order(dt)
                lines.append(line)
                day.rows += 1
                day.malformed += bad
                day.revenue += revenue
            day.objects[f"sales/dt={dt}/export-{part}.csv"] = HEADER + "".join(lines)
        day.revenue = round(day.revenue, 2)
        return day

    def _order(self, dt: str) -> tuple[str, int, float]:
        pick = self.random
        self.next_order += 1
        sku = pick.choice(list(PRODUCTS))
        values = {
            "order_id": str(self.next_order),
            "customer_id": str(pick.randint(1, self.customers)),
            "sku": sku,
            "quantity": str(pick.randint(1, 4)),
            "unit_price": f"{PRODUCTS[sku]:.2f}",
            "ordered_at": f"{dt} {pick.randint(8, 21):02d}:{pick.randint(0, 59):02d}:00",
        }
        if pick.random() < 0.04:
            column, bad = pick.choice(MALFORMED)
            values[column] = bad
            return ",".join(values.values()) + "\n", 1, 0.0
        return ",".join(values.values()) + "\n", 0, int(values["quantity"]) * PRODUCTS[sku]

    def _customers(self, count: int) -> str:
        records = []
        for _ in range(count):
            self.customers += 1
            city, country = self.random.choice(CITIES)
            records.append(
                {
                    "customer_id": self.customers,
                    "name": f"Customer {self.customers}",
                    "address": {"city": city, "country": country},
                    "marketing": {"newsletter": self.random.random() < 0.5, "segments": ["tea"]},
                }
            )
        return "".join(json.dumps(r) + "\n" for r in records)
