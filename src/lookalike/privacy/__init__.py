"""Privacy in one named place: the mixed-type distance, nearest neighbours, the measures, the
similarity filter and the protection of extreme values (see README.md in this folder)."""

from lookalike.privacy.distance import RowEncoder, fit_encoder
from lookalike.privacy.extremes import extreme_bounds, protect_extremes
from lookalike.privacy.families import filtered_family_sample, split_families
from lookalike.privacy.filter import (
    FilterOptions,
    FilterReport,
    SimilarityFilterError,
    calibrate,
    filtered_sample,
    parse_similarity_filter,
    split_holdout,
)
from lookalike.privacy.metrics import PrivacyMetrics, privacy_metrics

__all__ = [
    "FilterOptions", "FilterReport", "PrivacyMetrics", "RowEncoder", "SimilarityFilterError",
    "calibrate", "extreme_bounds", "filtered_family_sample", "filtered_sample", "fit_encoder",
    "parse_similarity_filter", "privacy_metrics", "protect_extremes", "split_families",
    "split_holdout",
]
