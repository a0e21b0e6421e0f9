"""Product-support templates: a customer and a support agent (English only)."""

from __future__ import annotations

from pipeline.generate.dialogues.templates.base import DialogueTemplate, Turn
from pipeline.generate.dialogues.templates.en import DATA_RULE_EN

PRODUCT_SUPPORT_EN = DialogueTemplate(
    name="kb_dialogue_support_en",
    version="1",
    domain="product_support",
    language="en",
    role_instruction=(
        "You are a customer support agent. Answer the customer's question from the "
        "product knowledge base: explain the likely cause and the steps that fix it."
    ),
    asker_system="You write what a customer says to a support agent. Answer only in JSON.",
    answerer_system="You are a helpful customer support agent. " + DATA_RULE_EN,
    asker_key="customer_message",
    answer_key="agent_reply",
    asker_label="Customer",
    answerer_label="Agent",
    turns=(
        Turn(
            ask=(
                "Problem: {symptoms}\n\nWrite a short message from a customer to a support "
                'agent, in the first person ("My ..."). The customer describes this problem '
                "in everyday words and asks for help."
            ),
            answer=(
                "Write the agent's reply to the customer. Explain the likely cause: {cause}. "
                "Then give these steps: {fix_steps}."
            ),
        ),
        Turn(
            ask=(
                'The agent said: "{previous_answer}"\n\nWrite the customer\'s next short '
                "message: the customer tried the first step and asks what to do next."
            ),
            answer="Write the agent's reply. Walk the customer through these steps: {fix_steps}.",
        ),
        Turn(
            ask=(
                'The agent said: "{previous_answer}"\n\nWrite the customer\'s next short '
                "message: the customer asks whether they need any parts or what to do if it "
                "still does not work."
            ),
            answer=("Write the agent's reply. Parts needed: {parts}. If the problem remains: {notes}"),
        ),
    ),
)
