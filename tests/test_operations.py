from gluelab.catalog import CatalogService
from gluelab.operations import operations_of
from gluelab.shapes import glue_model


def test_every_decorated_method_names_a_real_glue_operation():
    found = list(operations_of(CatalogService.__new__(CatalogService)))
    names = [name for name, method in found if not getattr(method, "own_operation", False)]
    own = [name for name, method in found if getattr(method, "own_operation", False)]
    assert names and set(names) <= set(glue_model().operation_names)
    assert own == ["GetTablePreview"] and not set(own) & set(glue_model().operation_names)
    assert len(found) == len({name for name, _ in found})


def test_error_subclasses_reach_callers_as_glues_type():
    from gluelab.errors import InvalidInputException

    class TooFancy(InvalidInputException):
        pass

    assert TooFancy("x").code == "InvalidInputException"
