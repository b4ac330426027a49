ALTER TABLE `ws_tickets` ADD `session_id` text;--> statement-breakpoint
ALTER TABLE `ws_tickets` ADD `api_key_id` text;