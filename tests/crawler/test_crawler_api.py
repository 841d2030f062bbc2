"""The crawler and classifier API through boto3 against a real ``gluelab serve`` (SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

S3_TARGETS = {"S3Targets": [{"Path": "s3://lake/sales/"}]}


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_create_get_update_delete(glue):
    glue.create_crawler(
        Name="sales",
        Role="arn:aws:iam::123456789012:role/crawler",
        DatabaseName="lake",
        Targets=S3_TARGETS,
        TablePrefix="raw_",
        Tags={"team": "data"},
    )
    crawler = glue.get_crawler(Name="sales")["Crawler"]
    assert crawler["State"] == "READY" and crawler["Version"] == 1
    assert crawler["SchemaChangePolicy"] == {
        "UpdateBehavior": "UPDATE_IN_DATABASE",
        "DeleteBehavior": "DEPRECATE_IN_DATABASE",
    }
    assert crawler["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVERYTHING"}
    assert crawler["Targets"]["S3Targets"][0]["Path"] == "s3://lake/sales/"
    assert crawler["TablePrefix"] == "raw_" and "LastCrawl" not in crawler

    glue.update_crawler(Name="sales", Description="nightly sales", Schedule="cron(0 2 * * ? *)")
    updated = glue.get_crawler(Name="sales")["Crawler"]
    assert updated["Version"] == 2 and updated["Description"] == "nightly sales"
    assert updated["Schedule"] == {"ScheduleExpression": "cron(0 2 * * ? *)", "State": "SCHEDULED"}
    assert updated["TablePrefix"] == "raw_"  # fields not given are kept

    glue.create_crawler(Name="other", Role="r", DatabaseName="lake", Targets=S3_TARGETS)
    assert glue.list_crawlers()["CrawlerNames"] == ["other", "sales"]
    assert glue.list_crawlers(Tags={"team": "data"})["CrawlerNames"] == ["sales"]
    first = glue.get_crawlers(MaxResults=1)
    assert [c["Name"] for c in first["Crawlers"]] == ["other"]
    second = glue.get_crawlers(MaxResults=1, NextToken=first["NextToken"])
    assert [c["Name"] for c in second["Crawlers"]] == ["sales"] and "NextToken" not in second

    glue.delete_crawler(Name="other")
    with pytest.raises(ClientError) as missing:
        glue.get_crawler(Name="other")
    assert error_code(missing) == "EntityNotFoundException"


@pytest.mark.parametrize(
    ("fields", "code", "fragment"),
    [
        ({"Targets": {}}, "InvalidInputException", "at least one"),
        ({"Targets": {"DynamoDBTargets": [{"Path": "t"}]}}, "InvalidInputException", "DynamoDBTargets"),
        ({"DatabaseName": None}, "InvalidInputException", "DatabaseName"),
        (
            {"Targets": {"CatalogTargets": [{"DatabaseName": "lake", "Tables": ["t"]}]}},
            "InvalidInputException",
            "DeleteBehavior LOG",
        ),
        (
            {"RecrawlPolicy": {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}},
            "InvalidInputException",
            "CRAWL_NEW_FOLDERS_ONLY",
        ),
        ({"Configuration": "{not json"}, "InvalidInputException", "not JSON"),
        ({"Configuration": '{"Version": 1.0, "Grouping": {"Bogus": 1}}'}, "InvalidInputException", "Bogus"),
        ({"Classifiers": ["nope"]}, "EntityNotFoundException", "nope"),
        ({"SchemaChangePolicy": {"UpdateBehavior": "SOMETIMES"}}, "InvalidInputException", "updateBehavior"),
    ],
)
def test_bad_definitions_are_refused_and_create_nothing(glue, fields, code, fragment):
    request = {"Name": "bad", "Role": "r", "DatabaseName": "lake", "Targets": S3_TARGETS, **fields}
    request = {k: v for k, v in request.items() if v is not None}
    with pytest.raises(ClientError) as excinfo:
        glue.create_crawler(**request)
    assert error_code(excinfo) == code
    assert fragment in excinfo.value.response["Error"]["Message"]
    assert glue.list_crawlers()["CrawlerNames"] == []


def test_duplicate_crawler_and_control_errors(glue):
    glue.create_crawler(Name="c", Role="r", DatabaseName="lake", Targets=S3_TARGETS)
    with pytest.raises(ClientError) as duplicate:
        glue.create_crawler(Name="c", Role="r", DatabaseName="lake", Targets=S3_TARGETS)
    assert error_code(duplicate) == "AlreadyExistsException"
    with pytest.raises(ClientError) as not_running:
        glue.stop_crawler(Name="c")
    assert error_code(not_running) == "CrawlerNotRunningException"
    for call in (glue.start_crawler, glue.stop_crawler, glue.delete_crawler):
        with pytest.raises(ClientError) as unknown:
            call(Name="ghost")
        assert error_code(unknown) == "EntityNotFoundException"
    with pytest.raises(ClientError) as unknown_crawls:
        glue.list_crawls(CrawlerName="ghost")
    assert error_code(unknown_crawls) == "EntityNotFoundException"


def test_classifiers(glue):
    glue.create_classifier(
        CsvClassifier={"Name": "pipes", "Delimiter": "|", "ContainsHeader": "PRESENT", "QuoteSymbol": '"'}
    )
    glue.create_classifier(JsonClassifier={"Name": "records", "JsonPath": "$.records[*]"})
    glue.create_classifier(XMLClassifier={"Name": "rows", "Classification": "xml", "RowTag": "row"})
    csv = glue.get_classifier(Name="pipes")["Classifier"]["CsvClassifier"]
    assert csv["Delimiter"] == "|" and csv["Version"] == 1 and "CreationTime" in csv
    names = [next(iter(c.values()))["Name"] for c in glue.get_classifiers()["Classifiers"]]
    assert names == ["pipes", "records", "rows"]
    glue.update_classifier(JsonClassifier={"Name": "records", "JsonPath": "$.items[*]"})
    json_classifier = glue.get_classifier(Name="records")["Classifier"]["JsonClassifier"]
    assert json_classifier["JsonPath"] == "$.items[*]" and json_classifier["Version"] == 2

    for request, code in (
        ({"CsvClassifier": {"Name": "pipes", "Delimiter": ","}}, "AlreadyExistsException"),
        (
            {"GrokClassifier": {"Name": "g", "Classification": "c", "GrokPattern": "%{WORD}"}},
            "InvalidInputException",
        ),
        ({"JsonClassifier": {"Name": "j", "JsonPath": "records"}}, "InvalidInputException"),
        ({}, "InvalidInputException"),
    ):
        with pytest.raises(ClientError) as excinfo:
            glue.create_classifier(**request)
        assert error_code(excinfo) == code, request
    glue.create_crawler(Name="c", Role="r", DatabaseName="lake", Targets=S3_TARGETS, Classifiers=["pipes"])
    assert glue.get_crawler(Name="c")["Crawler"]["Classifiers"] == ["pipes"]
    glue.delete_classifier(Name="rows")
    with pytest.raises(ClientError) as gone:
        glue.get_classifier(Name="rows")
    assert error_code(gone) == "EntityNotFoundException"
