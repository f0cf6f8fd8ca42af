"""Text shown to people, always in French and English."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LocalizedText(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr
