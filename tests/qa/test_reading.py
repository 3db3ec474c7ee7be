"""How a question is read in its conversation (service/qa/reading.py), on an encyclopedia-style page."""

from service.qa.conversation import Turn
from service.qa.reading import read_question

PAGE = ("Walter Scott was a Scottish novelist and poet. Scott was born in Edinburgh in 1771. His father, also Walter "
        "Scott, was a solicitor, and his mother, Anne Rutherford, was the daughter of a professor of medicine. "
        "He went to the Royal High School in Edinburgh and later studied law.")
TURNS = (Turn("When was Walter Scott born?", "Scott was born in Edinburgh in 1771.", ()),
         Turn("Who were his parents?", "His father, also Walter Scott, was a solicitor, and his mother, Anne Rutherford, "
              "was the daughter of a professor of medicine.", ()))


def test_the_page_subject_named_again_in_older_turns_stays_the_most_salient():
    # the subject recurs in the older questions; that must not move it behind the last answer's people
    reading = read_question("Where did he go to school?", TURNS, PAGE, ["Walter Scott"])
    assert reading.leans and reading.text == "Where did Walter Scott go to school?"


def test_a_question_that_names_its_own_subject_is_read_as_written():
    reading = read_question("What happened to Anne Rutherford in 1792?", TURNS, PAGE, ["Walter Scott"])
    assert not reading.leans and reading.text == "What happened to Anne Rutherford in 1792?"
    # and a question without a name of its own is not made about the page's subject: on SQuAD made into
    # conversations with a new topic as the fourth turn, that took the new topic's passage 1 from 0.81 to 0.69
    assert not read_question("What happened in 1792?", TURNS, PAGE, ["Walter Scott"]).leans
