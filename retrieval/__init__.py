"""Finding things: catalog and FAQ ingest, embeddings, ChromaDB storage and hybrid search.

Public entry points (imported lazily by callers, nothing heavy happens on import):

* ``retrieval.factory.build_stack(settings)`` → embedder, Chroma store, ``HybridRetriever``
* ``retrieval.ingest.ingest_products`` / ``ingest_faq``
* ``retrieval.query.parse_query`` (pure slot parsing for prices, colours, audiences, sizes)
* ``retrieval.langchain.AisleRetriever`` (LangChain ``BaseRetriever``)
"""
