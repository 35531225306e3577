/**
 * Spring Boot auto-configuration of cdckit: with the property {@code cdckit.mode} set,
 * {@link io.cdckit.spring.boot.CdckitAutoConfiguration} builds a {@link io.cdckit.api.CdcConfig} from
 * the {@code cdckit.*} properties ({@link io.cdckit.spring.boot.CdckitProperties}: {@code cdckit.<key>}
 * sets {@code cdc.<key>}), creates the {@link io.cdckit.api.ChangeSource} and starts it with the
 * application's {@link io.cdckit.api.ChangeHandler} bean ({@link io.cdckit.spring.boot.CdckitLifecycle}),
 * and adds a health indicator ({@link io.cdckit.spring.boot.CdckitHealthIndicator}) and Micrometer meters
 * where Actuator and {@code cdc-micrometer} are present. A configuration error fails startup with cdckit's
 * message ({@link io.cdckit.spring.boot.CdckitPropertiesException}), reported by a failure analyzer.
 */
package io.cdckit.spring.boot;
