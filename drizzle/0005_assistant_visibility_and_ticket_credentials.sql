ALTER TABLE `assistants` ADD `visibility` text DEFAULT 'private' NOT NULL;--> statement-breakpoint
ALTER TABLE `ws_tickets` ADD `session_id` text;--> statement-breakpoint
ALTER TABLE `ws_tickets` ADD `api_key_id` text;--> statement-breakpoint
UPDATE `assistants` SET `visibility` = 'public' WHERE `is_default` = 1;