from gluelab.catalog import CatalogService
from gluelab.operations import operations_of
from gluelab.shapes import glue_model


def test_every_decorated_method_names_a_real_glue_operation():
    names = [name for name, _ in operations_of(CatalogService.__new__(CatalogService))]
    assert names and set(names) <= set(glue_model().operation_names)
    assert len(names) == len(set(names))


def test_error_subclasses_reach_callers_as_glues_type():
    from gluelab.errors import InvalidInputException

    class TooFancy(InvalidInputException):
        pass

    assert TooFancy("x").code == "InvalidInputException"
