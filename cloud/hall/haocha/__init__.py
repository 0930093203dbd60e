"""Forwarding 好差评 ratings to the provincial platform (docs/haocha.md): the platform as an
interface (:mod:`.platform`), its HTTP client (:mod:`.client`), and the worker that sends every
rated row once and never loses one (:mod:`.forwarder`)."""
