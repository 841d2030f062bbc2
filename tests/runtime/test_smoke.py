"""A first end-to-end check of the runtime on the shared SparkSession."""

from gluelab.runtime.dynamicframe import DynamicFrame


def test_csv_round_trip_with_choice_and_error_record(glue_ctx, warehouse):
    (warehouse / "raw" / "sales").mkdir(parents=True)
    (warehouse / "raw" / "sales" / "a.csv").write_text("id,amount\n1,10\n2,x\n3,1,2\n")
    frame = glue_ctx.create_dynamic_frame.from_options(
        "s3", {"paths": ["s3://raw/sales/"]}, "csv", {"withHeader": True}
    )
    assert isinstance(frame, DynamicFrame)
    assert frame.schema().getField("amount").dataType.typeName() == "choice"
    assert frame.count() == 2
    assert frame.errorsCount() == 1
