"""aisle's hybrid retriever as a LangChain ``BaseRetriever``.

Lets a LangChain chain or agent use the same search the chat uses (filters, fusion,
explanations) instead of a second, different vector-store retriever::

    from retrieval.langchain import AisleRetriever
    docs = AisleRetriever(retriever=stack.retriever, kind="faq", k=3).invoke("refund time")
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.schema import SearchFilters


class AisleRetriever(BaseRetriever):
    """Products or FAQ entries for a query, as LangChain ``Document``s with their match explanation."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    kind: Literal["products", "faq"] = "products"
    k: int = 5
    filters: dict[str, Any] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        if self.kind == "faq":
            return [
                Document(
                    page_content=f"{h.entry.title}\n{h.entry.body}",
                    metadata={
                        "id": h.entry.id,
                        "title": h.entry.title,
                        "tags": h.entry.tags,
                        "score": h.score,
                        "why": h.why.sentence(),
                    },
                )
                for h in self.retriever.search_faq(query, k=self.k)
            ]
        result = self.retriever.search_products(query, SearchFilters.from_dict(self.filters), k=self.k)
        return [
            Document(
                page_content=h.product.embedding_text(),
                metadata={
                    "id": h.product.id,
                    "title": h.product.title,
                    "price": h.product.price,
                    "currency": h.product.currency,
                    "category": h.product.category,
                    "brand": h.product.brand,
                    "url": h.product.url,
                    "score": h.score,
                    "why": h.why.sentence(),
                },
            )
            for h in result.hits
        ]
