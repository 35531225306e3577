package io.cdckit.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CdckitVersionTest {

    @Test
    void versionComesFromTheBuild() {
        assertThat(CdckitVersion.get()).isNotEqualTo("unknown").matches("\\d+\\.\\d+\\.\\d+.*");
    }
}
