"""Chapter 8, "Sparse autoencoders": what the chapter needs and nothing else.

- ``manifest``: the chapter as the course's registries see it (title, times, runs).
- ``checks``: one check per exercise.
"""
